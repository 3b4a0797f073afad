"""Stored texts rendered for a reader: timeline and deadline messages with their values.

Services store a message id and its values (``params``) so the text is translated when it
is read; times among the values are stored as ISO 8601 (exact, zone-free of any viewer). A
reader must see them the way every other time in the UI reads, in their own zone with the
zone named ("2027-05-31 23:59 UTC"), never "2027-05-31T23:59:59+00:00".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

# An instant with its offset, as ``datetime.isoformat()`` writes it (dates alone stay as
# they are: a date is the same day in every zone and the UI shows it as YYYY-MM-DD).
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def display_value(value: Any) -> Any:
    """``value`` as the UI shows it: an ISO instant becomes the viewer's local time."""
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        from cases.templatetags.case_ui import when  # the one format of times in the UI

        return when(datetime.fromisoformat(value))
    return value


def text_render(message: str, params: dict[str, Any] | None) -> str:
    """The message in the active language with its values filled in for display; a
    message whose placeholders no longer fit its values shows without them."""
    translated = gettext(message) if message else ""
    if not params:
        return translated
    try:
        return translated % {key: display_value(value) for key, value in params.items()}
    except (KeyError, ValueError, TypeError):
        return translated
