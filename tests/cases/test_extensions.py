"""The domain's extension points (cases.extensions) and system actors: another app can
refuse a move, act on a move, show a panel on the case page, and act as a named service
identity, without the domain importing it."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import extensions
from cases.extensions import CasePanel
from cases.models import CaseStatus
from cases.workflow import case_transition, transitions_available
from portal.accounts import system
from portal.accounts.roles import Role, user_roles
from portal.audit.models import AccessEvent
from tests.cases.factories import CaseFactory
from tests.factories import verified_client

S = CaseStatus


@pytest.fixture(autouse=True)
def _own_registries(monkeypatch):
    """Each test registers on copies, so nothing leaks into other tests."""
    monkeypatch.setattr(extensions, "_GUARDS", list(extensions._GUARDS))
    monkeypatch.setattr(extensions, "_EFFECTS", list(extensions._EFFECTS))
    monkeypatch.setattr(extensions, "_PANELS", dict(extensions._PANELS))
    monkeypatch.setattr(system, "_REGISTRY", dict(system._REGISTRY))


def needs_paperwork(case) -> str:
    return "" if case.summary == "paperwork done" else "The paperwork is missing."


def test_a_registered_guard_refuses_the_move_and_hides_the_button(responder):
    case = CaseFactory(status=S.RECEIVED)
    extensions.register_transition_guard(target=S.TRIAGE, guard=needs_paperwork)

    assert S.TRIAGE not in [t.target for t in transitions_available(case, responder)]
    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status=S.TRIAGE, actor=responder)
    assert refused.value.message_dict["to_status"] == ["The paperwork is missing."]
    case.refresh_from_db()
    assert case.status == S.RECEIVED

    case.summary = "paperwork done"
    case.save(update_fields=["summary"])
    assert case_transition(case=case, to_status=S.TRIAGE, actor=responder).moved


def test_a_guard_registered_for_one_source_leaves_other_sources_alone(responder):
    extensions.register_transition_guard(
        target=S.EMERGENCY_REVIEW, source=S.TRIAGE, guard=needs_paperwork
    )
    from_received = CaseFactory(status=S.RECEIVED, emergency=True)
    from_triage = CaseFactory(status=S.TRIAGE, emergency=True)

    assert S.EMERGENCY_REVIEW in [t.target for t in transitions_available(from_received, responder)]
    assert S.EMERGENCY_REVIEW not in [
        t.target for t in transitions_available(from_triage, responder)
    ]


def test_registering_the_same_guard_twice_asks_it_once(responder):
    calls = []

    def counting(case) -> str:
        calls.append(case.pk)
        return ""

    extensions.register_transition_guard(target=S.TRIAGE, guard=counting)
    extensions.register_transition_guard(target=S.TRIAGE, guard=counting)
    case = CaseFactory(status=S.RECEIVED)
    case_transition(case=case, to_status=S.TRIAGE, actor=responder)
    assert calls == [case.pk]


def test_an_effect_runs_in_the_transaction_of_the_move(responder):
    seen = []

    def effect(*, case, actor, now, reason) -> None:
        seen.append((case.status, actor.username, reason))

    extensions.register_transition_effect(target=S.NEEDS_INFO, effect=effect)
    case = CaseFactory(status=S.TRIAGE)
    case_transition(
        case=case, to_status=S.NEEDS_INFO, actor=responder, reason="Which account, exactly?"
    )
    assert seen == [(S.NEEDS_INFO, "responder", "Which account, exactly?")]


def test_a_failing_effect_undoes_the_move(responder):
    def effect(*, case, actor, now, reason) -> None:
        raise RuntimeError("the output could not follow")

    extensions.register_transition_effect(target=S.TRIAGE, effect=effect)
    case = CaseFactory(status=S.RECEIVED)
    with pytest.raises(RuntimeError):
        case_transition(case=case, to_status=S.TRIAGE, actor=responder)
    case.refresh_from_db()
    assert case.status == S.RECEIVED


def test_a_registered_panel_shows_on_the_case_page_with_its_context(responder, tmp_path, settings):
    template_dir = tmp_path / "templates"
    (template_dir / "demo").mkdir(parents=True)
    (template_dir / "demo" / "panel.html").write_text(
        '<section data-testid="demo-panel">{{ greeting }} {{ case.reference }}</section>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(template_dir)]}
    ]
    extensions.register_case_panel(
        CasePanel(
            name="demo",
            template="demo/panel.html",
            context=lambda request, case: {"greeting": f"Hello {request.user.username}"},
        )
    )
    extensions.register_case_panel(
        CasePanel(name="hidden", template="demo/panel.html", context=lambda request, case: None)
    )
    case = CaseFactory()
    response = verified_client(responder).get(reverse("cases:detail", args=[case.reference]))
    body = response.content.decode()
    assert f'<section data-testid="demo-panel">Hello responder {case.reference}</section>' in body
    assert body.count('data-testid="demo-panel"') == 1  # the hidden one is not shown


def test_two_panels_cannot_share_a_name():
    def ctx(request, case):
        return {}

    extensions.register_case_panel(CasePanel(name="p", template="a.html", context=ctx))
    with pytest.raises(ValueError):
        extensions.register_case_panel(CasePanel(name="p", template="b.html", context=ctx))


# --- System actors -----------------------------------------------------------------------


def test_a_system_actor_holds_only_its_registered_roles_and_cannot_sign_in(db):
    system.register_system_actor("test-matcher", roles={Role.CHILD_SAFETY}, label="Test matcher")
    actor = system.system_actor("test-matcher")

    assert actor.username == "system.test-matcher"
    assert actor.is_system_actor
    assert not actor.has_usable_password()
    assert user_roles(actor) == {Role.CHILD_SAFETY}
    assert authenticate(username="system.test-matcher", password="") is None
    assert system.system_actor("test-matcher").pk == actor.pk  # the same row each time


def test_a_system_actor_is_named_in_the_access_log(db):
    from portal.audit.services import access_event_record

    system.register_system_actor("test-worker", roles={Role.RESPONDER}, label="Test worker")
    actor = system.system_actor("test-worker")
    access_event_record(action="view", actor=actor, object_type="cases.case", object_id="1")
    event = AccessEvent.objects.get(actor=actor)
    assert event.actor_label == "system.test-worker"
    assert "responder" in event.actor_roles


def test_a_person_with_the_name_is_never_taken_for_a_system_actor(db):
    from tests.factories import UserFactory

    UserFactory(username="system.impostor")
    system.register_system_actor("impostor", roles={Role.SUPERVISOR}, label="x")
    with pytest.raises(ValueError):
        system.system_actor("impostor")


def test_an_unregistered_name_is_refused(db):
    with pytest.raises(system.UnknownSystemActor):
        system.system_actor("nobody-registered-this")


def test_an_officer_panel_shows_on_the_officer_request_page_only(
    responder, officer_a, tmp_path, settings
):
    template_dir = tmp_path / "templates"
    (template_dir / "demo").mkdir(parents=True)
    (template_dir / "demo" / "officer.html").write_text(
        '<section data-testid="officer-panel">{{ note }}</section>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(template_dir)]}
    ]
    extensions.register_case_panel(
        CasePanel(
            name="officer-demo",
            template="demo/officer.html",
            context=lambda request, case: {"note": "For the agency"},
            audience="officer",
            column="side",
        )
    )
    case = CaseFactory(agency=officer_a.agency, submitting_officer=officer_a)
    officer_page = verified_client(officer_a.user).get(
        reverse("officer:request", args=[case.reference])
    )
    staff_page = verified_client(responder).get(reverse("cases:detail", args=[case.reference]))
    assert '<section data-testid="officer-panel">For the agency</section>' in (
        officer_page.content.decode()
    )
    assert 'data-testid="officer-panel"' not in staff_page.content.decode()
