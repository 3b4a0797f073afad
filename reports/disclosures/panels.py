"""Case page panels: the staff's productions panel and the officer's."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.extensions import CasePanel
from cases.models import Case


def _staff_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    return None


def _officer_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    return None


STAFF_PANEL = CasePanel(
    name="disclosures",
    template="disclosures/panel.html",
    context=_staff_context,
    column="main",
    order=15,
)
OFFICER_PANEL = CasePanel(
    name="disclosures-officer",
    template="disclosures/officer_panel.html",
    context=_officer_context,
    column="main",
    order=15,
    audience="officer",
)
