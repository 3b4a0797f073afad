"""The API's JSON parser: DRF's, with nesting too deep for Python's decoder answered as a
parse error (400) instead of a ``RecursionError`` (500).

``[[[[...]]]]`` a hundred thousand levels deep fits in the 2.5 MB body limit and makes
``json.loads`` recurse past the interpreter's limit (issue 18, hostile-input catalogue).
Every view that reads JSON uses this class (``REST_FRAMEWORK`` and the views' own
``parser_classes``); fields that carry JSON inside a form use ``json_loads``.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` that raises ``ValueError`` for input nested too deeply to decode."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error: the document is nested too deeply.")) from None
