"""A jurisdiction is chosen by name or code and never silently cut (issue #9, item 12):
"Illinois" was cut to "Illino" by the field's length and then refused."""

from __future__ import annotations

import pytest

from cases.models import LegalProcess
from tests.cases.factories import intake
from tests.cases.test_views_intake import INTAKE, form_data
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "country", "subdivision"),
    [
        ("Illinois", "US", "US-IL"),
        ("illinois", "US", "US-IL"),
        ("us-il", "US", "US-IL"),
        ("Illinois — United States (US-IL)", "US", "US-IL"),  # the picker's label
        ("United States", "US", ""),
    ],
)
def test_a_name_or_code_becomes_its_iso_code(responder, typed, country, subdivision):
    case = intake(responder, country="", subdivision="", jurisdiction=typed)

    process = case.processes.get()
    assert (process.country, process.subdivision) == (country, subdivision)


@pytest.mark.parametrize("typed", ["Illino", "Illinois, somewhere" + "x" * 100, "US-CX"])
def test_unknown_or_over_long_input_is_a_field_error_not_a_cut(responder, typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        intake(responder, country="", subdivision="", jurisdiction=typed)
    assert {"country", "subdivision"} & set(caught.value.message_dict)
    assert not LegalProcess.objects.exists()


def test_the_staff_form_takes_a_state_by_name_and_offers_the_picker(responder):
    client = verified_client(responder)
    page = client.get(INTAKE).text
    assert 'list="jurisdiction-choices"' in page
    assert '<option value="US-IL">Illinois — United States (US-IL)</option>' in page
    assert 'maxlength="6"' not in page and 'maxlength="2"' not in page

    client.post(INTAKE, form_data(subdivision="Illinois"))

    assert LegalProcess.objects.get().subdivision == "US-IL"


def test_the_staff_form_says_what_is_wrong_with_a_long_name(responder):
    answer = verified_client(responder).post(INTAKE, form_data(subdivision="Illinoisx" * 12))

    assert answer.status_code == 400
    assert "Illinoisx" * 12 in answer.text  # kept as typed, whole
    assert "ISO 3166-2" in answer.text
