"""Search finds what an officer quotes (issue 9, item 9): part of an e-mail, a phone as
people write it, the agency's case number, the issuer's docket, a lowercase agency word."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import TargetKind
from cases.selectors import case_search
from tests.cases.factories import intake
from tests.factories import AgencyFactory, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def quoted(responder):
    agency = AgencyFactory(name="Springfield Example Police", email_domains=["spd.example.gov"])
    found = intake(
        responder,
        agency=agency,
        subdivision="US-IL",
        issuing_authority="Grand Jury of Example County",
        authority_reference="GJ-2026-0412",
        agency_case_number="SPD-NEW-1",
        targets=[
            (TargetKind.EMAIL, "newcomer.first@example.com"),
            (TargetKind.PHONE, "+1 217 555 0161"),
        ],
    )
    other = intake(responder, targets=[(TargetKind.EMAIL, "someone.else@example.net")])
    return found, other


@pytest.mark.parametrize(
    "query",
    [
        "newcomer",
        "NewComer.First",
        "(217) 555-0161",
        "217-555-0161",
        "SPD-NEW-1",
        "spd-new-1",
        "GJ-2026-0412",
        "springfield",
        "example police",
    ],
)
def test_staff_find_a_case_by_what_the_officer_quoted(responder, quoted, query):
    found, other = quoted

    refs = list(case_search(responder, query).values_list("reference", flat=True))

    assert found.reference in refs
    assert other.reference not in refs


def test_the_queue_page_shows_the_match(responder, quoted):
    found, _ = quoted

    page = verified_client(responder).get(reverse("cases:queue"), {"q": "newcomer"})

    assert page.status_code == 200
    assert found.reference in page.text


def test_search_stays_within_the_users_cases(outsider, quoted):
    assert not case_search(outsider, "newcomer").exists()


def test_a_search_that_reaches_the_match_limit_says_more_may_match(responder, monkeypatch):
    """A common fragment stops at the limit (a lookup, not a report); the page must not let
    that pass for "these are all the cases"."""
    monkeypatch.setattr("cases.selectors.SEARCH_MATCH_LIMIT", 2)
    for n in range(3):
        intake(responder, targets=[(TargetKind.USERNAME, f"harbour_lantern{n}")])
    client = verified_client(responder)

    common = client.get(reverse("cases:queue"), {"q": "harbour_lan"}).content.decode()
    assert 'data-testid="search-capped"' in common
    assert "Type more of the identifier" in common

    narrow = client.get(reverse("cases:queue"), {"q": "harbour_lantern1"}).content.decode()
    assert 'data-testid="search-capped"' not in narrow
    assert narrow.count('class="ref"') == 1
