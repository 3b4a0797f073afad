"""The officer portal's urgent referrals: the agency's officers see them (and the read is
logged); another agency's officer gets a 404; staff are refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit.models import AccessEvent
from portal.notifications.models import Notification
from reports.cybertip.referrals import referral_approve, referral_request
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cs_case, child_safety, supervisor, officer_a):
    """A referral to agency A, approved by a second person (so it was sent)."""
    requested = referral_request(
        case=cs_case,
        agency=officer_a.agency,
        basis="2702b8",
        emergency="Ongoing live stream of abuse of a child",
        disclosed="Account id 100031337, stream URL, last login IP 203.0.113.9",
        actor=child_safety,
    )
    return referral_approve(referral=requested, actor=supervisor)


def test_the_agency_officer_sees_the_list_and_the_detail_and_both_reads_are_logged(
    referral, officer_a, cs_case
):
    client = verified_client(officer_a.user)

    listed = client.get(reverse("officer:referrals"))
    assert listed.status_code == 200
    assert cs_case.reference in listed.content.decode()
    assert reverse("officer:referral", args=[referral.pk]) in listed.content.decode()
    event = AccessEvent.objects.filter(
        action="list", object_type="cybertip.urgentreferral", actor=officer_a.user
    ).get()
    assert event.details["ids"] == [str(referral.pk)]

    shown = client.get(reverse("officer:referral", args=[referral.pk]))
    assert shown.status_code == 200
    assert "203.0.113.9" in shown.content.decode()
    assert AccessEvent.objects.filter(
        action="view",
        object_type="cybertip.urgentreferral",
        object_id=str(referral.pk),
        case_reference=cs_case.reference,
        actor=officer_a.user,
    ).exists()


def test_another_agency_gets_a_404_and_an_empty_list(referral, officer_b, cs_case):
    client = verified_client(officer_b.user)
    assert client.get(reverse("officer:referral", args=[referral.pk])).status_code == 404
    listed = client.get(reverse("officer:referrals"))
    assert listed.status_code == 200
    assert cs_case.reference not in listed.content.decode()


def test_a_referral_awaiting_approval_is_not_shown(cs_case, child_safety, officer_a):
    waiting = referral_request(
        case=cs_case,
        agency=officer_a.agency,
        basis="2702c4",
        emergency="Imminent meeting with a child",
        disclosed="Subscriber records",
        actor=child_safety,
    )
    client = verified_client(officer_a.user)
    assert client.get(reverse("officer:referral", args=[waiting.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["responder", "supervisor", "child_safety"])
def test_staff_are_refused(request, referral, persona):
    client = verified_client(request.getfixturevalue(persona))
    assert client.get(reverse("officer:referrals")).status_code == 404
    assert client.get(reverse("officer:referral", args=[referral.pk])).status_code == 404


def test_the_notification_links_to_the_page_and_the_navigation_has_it(referral, officer_a):
    note = Notification.objects.get(user=officer_a.user, kind="urgent_referral")
    assert note.url == reverse("officer:referral", args=[referral.pk])
    page = verified_client(officer_a.user).get(reverse("officer:requests"))
    assert reverse("officer:referrals") in page.content.decode()
