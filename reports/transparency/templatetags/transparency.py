"""Formatting of report figures: counts with separators, bands as given, "—" for none."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cases.models import ProcessKind

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    """A count (grouped digits), a band string ("0-249") as it is, or "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value)


@register.filter
def pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{number_format(value, decimal_pos=1)} %"


@register.filter
def hours(value: Any) -> str:
    """Hours as "3.5 h", or days past two days ("4.2 days"); a figure that is missing (a
    report frozen without it reads as "" in a template) is a dash, never an error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    if value >= 48:
        return _("%(n)s days") % {"n": number_format(value / 24, decimal_pos=1)}
    return _("%(n)s h") % {"n": number_format(value, decimal_pos=1)}


@register.simple_tag
def kind_label(kind: str) -> str:
    """The process kind in the viewer's language (frozen figures hold English labels)."""
    try:
        return str(ProcessKind(kind).label)
    except ValueError:
        return kind


@register.simple_tag
def category_label(dsa: dict[str, Any], code: str) -> str:
    return str(dsa.get("categories", {}).get(code, code))
