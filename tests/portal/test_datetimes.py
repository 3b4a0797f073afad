"""Typed times are read in the viewer's zone, in the shape the page shows times in, and
the summer-time changes give the right instant or a clear error (issue 9, item 10).

Europe/Berlin in 2027: summer time begins on 28 March at 02:00 (the clocks jump to 03:00)
and ends on 31 October at 03:00 (the clocks go back to 02:00)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

import pytest
from django import forms
from django.utils import timezone, translation

from portal.datetimes import IsoDateField, LocalDateTimeField, when

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


class Form(forms.Form):
    at = LocalDateTimeField()


def read(text: str, zone=BERLIN, language: str = "en") -> datetime:
    with timezone.override(zone), translation.override(language):
        form = Form({"at": text})
        assert form.is_valid(), form.errors
        return form.cleaned_data["at"]


def refused(text: str, zone=BERLIN, language: str = "en") -> str:
    with timezone.override(zone), translation.override(language):
        form = Form({"at": text})
        assert not form.is_valid()
        return form.errors["at"][0]


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2027-03-28 01:30", "2027-03-28 00:30"),  # winter time, the last hour of it
        ("2027-03-28 03:30", "2027-03-28 01:30"),  # summer time, the first hour of it
        ("2027-10-31 01:30", "2027-10-30 23:30"),  # summer time still
        ("2027-10-31 03:30", "2027-10-31 02:30"),  # winter time again
        ("2027-01-15 18:00", "2027-01-15 17:00"),
        ("2027-07-15 18:00", "2027-07-15 16:00"),
        ("2027-03-28T01:30", "2027-03-28 00:30"),  # the old picker's shape is still read
    ],
)
def test_a_berlin_time_is_stored_as_the_right_instant_on_both_sides_of_a_change(typed, utc):
    assert read(typed).astimezone(UTC).strftime("%Y-%m-%d %H:%M") == utc


def test_a_time_the_clocks_skip_is_refused_with_the_time_it_would_be():
    message = refused("2027-03-28 02:30")
    assert message == (
        "2027-03-28 02:30 does not exist in Europe/Berlin: the clocks skip that hour when "
        "summer time begins. Did you mean 2027-03-28 03:30 CEST?"
    )


def test_a_time_that_happens_twice_is_the_first_the_summer_time_one():
    """Documented choice: the earlier instant, so a deadline is never later than meant."""
    first = read("2027-10-31 02:30")
    assert first.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    with timezone.override(BERLIN):
        assert when(first) == "2027-10-31 02:30 CEST"


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("fr", "28/03/2027 01:30"),
        ("de", "28.03.2027 01:30"),
        ("nl", "28-3-2027 01:30"),
        ("es", "28/03/2027 01:30"),
        ("fr", "2027-03-28 01:30"),  # ISO is read in every language
    ],
)
def test_each_language_types_times_as_it_shows_them(language, typed):
    assert read(typed, language=language) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    with timezone.override(BERLIN), translation.override(language):
        shown = when(datetime(2027, 3, 28, 0, 30, tzinfo=UTC))
    assert read(shown.rsplit(" ", 1)[0], language=language) == datetime(
        2027, 3, 28, 0, 30, tzinfo=UTC
    )


def test_an_american_picker_time_is_refused_with_the_shape_to_use():
    assert (
        refused("03/28/2027 01:30 PM")
        == "Enter the time as YYYY-MM-DD HH:MM, e.g. 2027-03-28 14:05."
    )
    assert refused("28/03/2027 25:00", language="fr") == (
        "Saisissez l’heure sous la forme JJ/MM/AAAA HH:MM, par exemple 28/03/2027 14:05."  # noqa: RUF001 - French typography
    )


def test_the_input_shows_the_value_placeholder_and_zone_in_the_pages_shape():
    form = Form(initial={"at": datetime(2027, 7, 15, 16, 0, tzinfo=UTC)})
    with timezone.override(BERLIN):
        html = str(form["at"])
    assert html.startswith('<input type="text" name="at" value="2027-07-15 18:00"')
    assert 'placeholder="YYYY-MM-DD HH:MM"' in html
    assert html.endswith('<span class="input-zone">Europe/Berlin</span>')
    with timezone.override(BERLIN), translation.override("de"):
        html = str(form["at"])
    assert 'value="15.07.2027 18:00"' in html and 'placeholder="TT.MM.JJJJ HH:MM"' in html


class Dated(forms.Form):
    day = IsoDateField()


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_date_is_read_only_in_the_shape_pages_show_dates(language):
    """03/04/2026 is 4 March to Django's English page and 3 April to its French one: a legal
    date a month apart, so only 2026-03-04 is read, in every language."""
    with translation.override(language):
        typed = Dated({"day": " 2026-03-04 "})
        assert typed.is_valid() and typed.cleaned_data["day"] == date(2026, 3, 4)
        ambiguous = Dated({"day": "03/04/2026"})
        assert not ambiguous.is_valid()
        shape = {"en": "YYYY-MM-DD", "fr": "AAAA-MM-JJ", "de": "JJJJ-MM-TT"}[language]
        assert shape in ambiguous.errors["day"][0]
