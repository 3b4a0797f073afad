"""Urgent referral: two people, then the agency's officers see it at once; nobody else."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from portal.accounts.tokens import api_token_issue
from portal.notifications.models import Notification
from reports.cybertip.models import ReferralStatus
from reports.cybertip.referrals import referral_approve, referral_request
from reports.cybertip.services import report_draft_create
from tests.reports.cybertip.helpers import report_input

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _api(officer) -> APIClient:
    token = api_token_issue(user=officer.user, name="Case system", scopes=["read"]).plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _request(case, agency, actor):
    return referral_request(
        case=case,
        agency=agency,
        basis="2702b8",
        emergency="Ongoing live stream of abuse of a child",
        disclosed="Account id 100031337, stream URL, last login IP 203.0.113.9",
        actor=actor,
    )


def test_a_referral_needs_a_second_person_then_reaches_the_agency_at_once(
    cs_case, child_safety, supervisor, officer_a, officer_b
):
    draft = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    referral = _request(cs_case, officer_a.agency, child_safety)
    draft.refresh_from_db()
    assert draft.escalate_text == "Ongoing live stream of abuse of a child"
    assert _api(officer_a).get("/api/v1/referrals/").json()["results"] == []
    with pytest.raises(ValidationError):
        referral_approve(referral=referral, actor=child_safety)  # the requester alone: no

    referral_approve(referral=referral, actor=supervisor)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT and referral.approved_by == supervisor
    rows = _api(officer_a).get("/api/v1/referrals/").json()["results"]
    assert [r["provider_reference"] for r in rows] == [cs_case.reference]
    assert rows[0]["basis"] == "2702b8"
    assert Notification.objects.filter(user=officer_a.user, kind="urgent_referral").exists()
    assert _api(officer_b).get("/api/v1/referrals/").json()["results"] == []
    assert referral.notified == [officer_a.user_id]
    assert cs_case.timeline.filter(params__agency=officer_a.agency.name).count() == 2


def test_a_referral_is_approved_once(
    cs_case, child_safety, supervisor, second_supervisor, officer_a
):
    referral = _request(cs_case, officer_a.agency, child_safety)
    referral_approve(referral=referral, actor=supervisor)
    with pytest.raises(ValidationError):
        referral_approve(referral=referral, actor=second_supervisor)


def test_an_inactive_agency_gets_no_referral(cs_case, child_safety, officer_a):
    agency = officer_a.agency
    agency.status = "suspended"
    agency.save()
    with pytest.raises(ValidationError) as caught:
        _request(cs_case, agency, child_safety)
    assert "agency" in caught.value.message_dict


def test_staff_without_the_child_safety_role_cannot_refer(cs_case, responder, officer_a):
    from cases.errors import CaseNotFound

    with pytest.raises(CaseNotFound):
        _request(cs_case, officer_a.agency, responder)


def test_the_referral_list_needs_a_token(db):
    assert APIClient().get("/api/v1/referrals/").status_code == 401
