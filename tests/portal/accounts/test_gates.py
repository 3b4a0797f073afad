"""Account, agency and token services check the actor's capability themselves (issue 11):
a caller that skips the staff views (a new view, a task, a command) cannot act beyond the
actor's roles, and every refusal is in the access log."""

from __future__ import annotations

import pytest

from portal.accounts.enrolment import officer_enrolment_link_send
from portal.accounts.gates import CapabilityDenied
from portal.accounts.models import Agency, ApiToken, Officer
from portal.accounts.onboarding import (
    agency_create,
    agency_reinstate,
    agency_suspend,
    officer_reinstate,
    officer_suspend,
)
from portal.accounts.tokens import api_token_issue, api_token_revoke
from portal.audit.models import AccessEvent


def denied(action: str) -> bool:
    return AccessEvent.objects.filter(action=action, outcome="denied").exists()


@pytest.mark.django_db
def test_a_responder_calling_officer_suspend_is_refused_and_logged(responder, officer_a):
    with pytest.raises(CapabilityDenied):
        officer_suspend(officer=officer_a, actor=responder, reason="Not theirs to decide")

    assert Officer.objects.get(pk=officer_a.pk).status == Officer.Status.VERIFIED
    event = AccessEvent.objects.get(action="officer_suspended", outcome="denied")
    assert event.actor_id == responder.pk
    assert event.object_id == str(officer_a.pk)


@pytest.mark.django_db
def test_a_supervisor_may_suspend_and_reinstate(supervisor, officer_a):
    assert officer_suspend(officer=officer_a, actor=supervisor, reason="Inquiry")
    assert officer_reinstate(officer=officer_a, actor=supervisor, reason="Cleared")
    assert not denied("officer_suspended")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["responder", "legal", "child_safety", "auditor"])
def test_roles_without_officer_management_are_refused_everywhere(persona, request, officer_a):
    actor = request.getfixturevalue(persona)
    agency = officer_a.agency
    calls = {
        "officer_reinstated": lambda: officer_reinstate(officer=officer_a, actor=actor, reason="x"),
        "agency_suspended": lambda: agency_suspend(agency=agency, actor=actor, reason="x"),
        "agency_reinstated": lambda: agency_reinstate(agency=agency, actor=actor, reason="x"),
        "agency_created": lambda: agency_create(
            name="Shelbyville PD", country="US", domains=["shelby.example.gov"], actor=actor
        ),
        "enrolment_link_sent": lambda: officer_enrolment_link_send(officer=officer_a, actor=actor),
        "token_issued": lambda: api_token_issue(
            user=officer_a.user, name="x", scopes=["read"], actor=actor
        ),
    }
    for action, call in calls.items():
        with pytest.raises(CapabilityDenied):
            call()
        assert denied(action), action
    assert Agency.objects.get(pk=agency.pk).status == Agency.Status.ACTIVE
    assert not Agency.objects.filter(name="Shelbyville PD").exists()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_officer_issues_and_revokes_their_own_token_not_anothers(officer_a, officer_b):
    own = api_token_issue(user=officer_a.user, name="mine", scopes=["read"], actor=officer_a.user)
    theirs = api_token_issue(user=officer_b.user, name="b", scopes=["read"], actor=officer_b.user)

    with pytest.raises(CapabilityDenied):
        api_token_revoke(token=theirs.token, actor=officer_a.user)
    with pytest.raises(CapabilityDenied):
        api_token_issue(user=officer_b.user, name="x", scopes=["read"], actor=officer_a.user)

    assert api_token_revoke(token=own.token, actor=officer_a.user)
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None
    assert denied("token_revoked") and denied("token_issued")


@pytest.mark.django_db
def test_an_operator_command_names_itself_and_passes(officer_a):
    agency = agency_create(
        name="Ogdenville PD", country="US", domains=["ogden.example.gov"], actor_label="t"
    )
    assert agency.pk is not None
