"""CSV cells a spreadsheet cannot run: the one helper every CSV export writes through.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
taken for a formula by Excel, LibreOffice and Google Sheets (``=cmd|' /C calc'!A0`` starts
a program through DDE on an old Excel; ``=HYPERLINK(...)`` leaks the sheet when clicked).
OWASP's advice ("CSV Injection") is to prefix such a cell with a single quote, which the
spreadsheet shows as text and drops from the value. Numbers stay numbers: ``-3`` as an
``int`` is written as it is, since a spreadsheet reads it as the number it is.

Used by the access-log export, the transparency CSVs, the disclosure manifest and the
hash-list export. The hash-list CSV is also read back by ``import_hashes``; its parser undoes
the prefix (``csv_cell_restore``), so a list still round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as one CSV cell: "" for None, numbers unchanged, text starting like a
    formula prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_row(values: Iterable[Any]) -> list[Any]:
    """One CSV row with every cell through ``csv_cell``."""
    return [csv_cell(v) for v in values]


def csv_cell_restore(text: str) -> str:
    """The value ``csv_cell`` wrote ``text`` for (importers of our own exports)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
