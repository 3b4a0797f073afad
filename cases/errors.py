"""Errors the domain raises, so views can answer each one the same way everywhere."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404


class CaseNotFound(Http404):
    """The case does not exist or the user may not act on it; both look the same (404).

    ``denial`` carries what the access log needs; ``selectors.denials_logged`` writes it
    after the service's transaction has rolled back, so the refusal is kept.
    """

    def __init__(self, *args: Any, denial: dict[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.denial = denial


class ConcurrentUpdate(ValidationError):
    """Another person changed the object between the user's read and write (compare-and-set).

    A ``ValidationError`` so a form view shows it like any other non-field error.
    """
