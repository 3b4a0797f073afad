"""How a time is written on a page, and how a typed one is read: one shape for both.

A time is shown in the viewer's zone with the zone named (``when``: ``2026-03-02 14:05 CET``
in English, ISO order; the language's own short form elsewhere, ``02/03/2026 14:05`` in
French, ``02.03.2026 14:05`` in German). A time input is a text field in that same shape,
with the shape as its placeholder and the zone beside it, never the browser's picker, which
writes ``03/02/2026 02:05 PM`` on an American browser next to a page that says ``14:05``
(docs/decisions/0033-time-zones-and-time-inputs.md). ISO (``2026-03-02 14:05``) is read in
every language too: it is unambiguous, and what the API and the e-mails use.

A typed time is read in the viewer's zone (the active one, ``portal.accounts.zones``):

* a time the clocks skip (02:30 on the night summer time begins in Europe/Berlin) is
  refused, with the time it would be after the change as a hint;
* a time that happens twice (02:30 on the night summer time ends) is the first of the two,
  the one still in summer time: the earlier instant, so a deadline typed that way is never
  later than the person meant.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

ISO_DATETIME = "Y-m-d H:i"
ISO_DATE = "Y-m-d"
# Always read, in every language, besides the language's own shape.
_ISO_INPUTS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

# Django's date-format letters the shapes use, as strptime reads them.
_STRPTIME = {"Y": "%Y", "m": "%m", "n": "%m", "d": "%d", "j": "%d", "H": "%H", "G": "%H", "i": "%M"}


def datetime_shape() -> str:
    """The Django format of a time on a page (without its zone) in the active language."""
    language = get_language() or "en"
    return ISO_DATETIME if language.startswith("en") else str(get_format("SHORT_DATETIME_FORMAT"))


@functools.cache
def _strptime_format(shape: str) -> str:
    out = []
    for char in shape:
        if char.isalpha() and char not in _STRPTIME:
            raise ValueError(f"no strptime equivalent for {char!r} in {shape!r}")
        out.append(_STRPTIME.get(char, char))
    return "".join(out)


def shape_placeholder(shape: str) -> str:
    """The shape as a person reads it: ``YYYY-MM-DD HH:MM`` (``JJ/MM/AAAA HH:MM`` in
    French): the letters are translated, the order and separators are the language's."""
    letters = {
        "Y": pgettext("date placeholder: year", "YYYY"),
        "m": pgettext("date placeholder: month", "MM"),
        "d": pgettext("date placeholder: day", "DD"),
        "H": pgettext("time placeholder: hour", "HH"),
        "i": pgettext("time placeholder: minute", "MM"),
    }
    letters |= {"n": letters["m"], "j": letters["d"], "G": letters["H"]}
    return "".join(letters.get(char, char) for char in shape)


def when(value: datetime | None) -> str:
    """A timestamp in the viewer's zone with the zone named, in the page's shape."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{date_format(local, datetime_shape())} {local.tzname()}"


def local_instant(naive: datetime, zone: Any = None) -> datetime:
    """``naive`` as a wall-clock time in ``zone`` (the active zone by default), as an
    aware instant; the rules for the hour that is skipped or repeated are in the module
    docstring. Raises ``ValidationError`` (code ``nonexistent_time``) in the gap."""
    zone = zone or timezone.get_current_timezone()
    first = naive.replace(tzinfo=zone, fold=0)
    back = first.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise ValidationError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip that hour when summer "
                "time begins. Did you mean %(after)s?"
            ),
            code="nonexistent_time",
            params={
                "time": date_format(naive, datetime_shape()),
                "zone": str(zone),
                "after": f"{date_format(back, datetime_shape())} {back.tzname()}",
            },
        )
    return first


def _with_defaults(
    widget: forms.Widget, attrs: dict[str, Any] | None, placeholder: str
) -> dict[str, Any]:
    """A typed time's attributes, under whatever the form itself set."""
    defaults = {"placeholder": placeholder, "autocomplete": "off", "spellcheck": "false"}
    return {k: v for k, v in defaults.items() if k not in widget.attrs} | (attrs or {})


class LocalDateTimeInput(forms.DateTimeInput):
    """A text input in the page's time shape, its placeholder the shape, the zone beside."""

    input_type = "text"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(
            name, value, _with_defaults(self, attrs, shape_placeholder(datetime_shape()))
        )

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return date_format(value, datetime_shape())
        return None if value in (None, "") else str(value)

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        return format_html(
            '{} <span class="input-zone">{}</span>', html, timezone.get_current_timezone_name()
        )


class LocalDateTimeField(forms.DateTimeField):
    """A time typed in the page's shape (or ISO), read in the viewer's zone."""

    widget = LocalDateTimeInput

    def __init__(self, *, also_dates: bool = False, **kwargs: Any) -> None:
        """``also_dates``: a date alone is read as its midnight (search filters)."""
        self.also_dates = also_dates
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else local_instant(value)
        if isinstance(value, date):
            return local_instant(datetime(value.year, value.month, value.day))
        text = " ".join(str(value).split())
        formats = [_strptime_format(datetime_shape()), *_ISO_INPUTS]
        if self.also_dates:
            formats.append("%Y-%m-%d")
            if datetime_shape() != ISO_DATETIME:
                formats.append(_strptime_format(str(get_format("SHORT_DATE_FORMAT"))))
        for shape in formats:
            try:
                naive = datetime.strptime(text, shape)
            except ValueError:
                continue
            return local_instant(naive)
        raise ValidationError(
            _("Enter the time as %(shape)s, e.g. %(example)s.")
            % {
                "shape": shape_placeholder(datetime_shape()),
                "example": date_format(datetime(2027, 3, 28, 14, 5), datetime_shape()),
            },
            code="invalid",
        )

    def prepare_value(self, value: Any) -> Any:
        return value  # the widget shows it in the viewer's zone and shape


def zone_help() -> str:
    """Help text of a time input: its shape and the zone it is read in."""
    return _("As %(shape)s, 24-hour, in your time zone (%(zone)s).") % {
        "shape": shape_placeholder(datetime_shape()),
        "zone": timezone.get_current_timezone_name(),
    }


class IsoDateInput(forms.DateInput):
    """A date as the pages show dates, ``YYYY-MM-DD`` in every language, in a text input
    (the browser's date picker writes ``03/02/2026`` on an American browser)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(
            name, value, _with_defaults(self, attrs, shape_placeholder(ISO_DATE))
        )


class IsoDateField(forms.DateField):
    """A date typed as every page shows dates, ``YYYY-MM-DD``, and only so: Django's field
    would also read the language's shapes, where ``03/04/2026`` is 4 March on an English
    page and 3 April on a French one, a month apart on a legal date."""

    widget = IsoDateInput

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
        except ValueError:
            raise ValidationError(
                _("Enter the date as %(shape)s, e.g. 2027-03-28.")
                % {"shape": shape_placeholder(ISO_DATE)},
                code="invalid",
            ) from None
