"""The helpers views use so that no read of case data and no denial goes unlogged."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.accounts.models import Team
from portal.audit.apps import check_access_log_setup
from portal.audit.models import AccessEvent
from tests.factories import verified_client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.audit.testviews")]


def events_of(response) -> list[AccessEvent]:
    """The events written while serving this response (tied by its request id)."""
    return list(AccessEvent.objects.filter(request_id=response["X-Request-ID"]).order_by("id"))


@pytest.fixture
def client(responder) -> Client:
    return verified_client(responder)


def test_a_marked_view_that_records_nothing_is_logged_by_the_middleware(client, responder):
    response = client.get("/t/forgetful/LR-2026-000001/", HTTP_USER_AGENT="Browser/1.0")

    assert response.status_code == 200
    [event] = events_of(response)
    assert event.action == "view"
    assert event.actor == responder
    assert event.actor_roles == "responder"
    assert event.case_reference == "LR-2026-000001"
    assert event.object_type == "tests.thing"
    assert event.outcome == "success"
    assert event.ip == "127.0.0.1"
    assert event.user_agent == "Browser/1.0"
    assert event.details["recorded_by"] == "middleware"
    assert event.details["path"] == "/t/forgetful/LR-2026-000001/"


def test_a_view_that_records_its_read_is_not_logged_twice(client):
    response = client.get("/t/careful/LR-2026-000002/")

    [event] = events_of(response)
    assert event.case_reference == "LR-2026-000002"
    assert "recorded_by" not in event.details


def test_recording_only_who_called_does_not_count_as_recording_the_read(client):
    response = client.get("/t/identity/LR-2026-000003/")

    assert [(e.action, e.case_reference) for e in events_of(response)] == [
        ("token_used", ""),
        ("view", "LR-2026-000003"),
    ]


@pytest.mark.parametrize(("reference", "status"), [("LR-MISSING", 404), ("LR-FORBIDDEN", 403)])
def test_a_gate_saying_no_is_logged_as_a_denial(client, responder, reference, status):
    response = client.get(f"/t/gated/{reference}/")

    assert response.status_code == status
    [event] = events_of(response)
    assert event.action == "permission_denied"
    assert event.outcome == "denied"
    assert event.actor == responder
    assert event.case_reference == reference
    assert event.details["status"] == status


def test_a_service_called_without_the_request_still_records_where_it_came_from(client):
    response = client.get("/t/service/", REMOTE_ADDR="198.51.100.7")

    [event] = events_of(response)
    assert event.action == "update"
    assert event.case_reference == "LR-SVC"
    assert event.ip == "198.51.100.7"


def test_an_address_that_does_not_parse_is_left_out_not_fatal(client):
    response = client.get("/t/forgetful/LR-2026-000004/", REMOTE_ADDR="unix:/run/gunicorn.sock")

    assert response.status_code == 200
    [event] = events_of(response)
    assert event.ip is None


def test_exempt_views_are_not_logged(client):
    response = client.get("/t/exempt/")

    assert response.status_code == 200
    assert events_of(response) == []


def test_detail_mixin_logs_one_view_naming_the_object(client, responder):
    team = Team.objects.get(is_default=True)  # the responder's team

    response = client.get(f"/t/teams/{team.pk}/")

    assert response.status_code == 200
    [event] = events_of(response)
    assert (event.action, event.object_type, event.object_id) == (
        "view",
        "accounts.team",
        str(team.pk),
    )


def test_detail_mixin_behind_a_gate_logs_the_denial(client):
    other = Team.objects.create(name="Elsewhere", slug="elsewhere")

    response = client.get(f"/t/teams/{other.pk}/")

    assert response.status_code == 404
    [event] = events_of(response)
    assert (event.action, event.outcome, event.object_id) == (
        "permission_denied",
        "denied",
        str(other.pk),
    )


def test_list_mixin_logs_one_event_naming_the_page(client):
    for n in range(3):
        Team.objects.create(name=f"Team {n}", slug=f"team-{n}")
    first_page = list(Team.objects.order_by("name")[:2])

    response = client.get("/t/teams/?page=1")

    assert response.status_code == 200
    [event] = events_of(response)
    assert event.action == "list"
    assert event.details["ids"] == [str(t.pk) for t in first_page]
    assert event.details["page"] == 1


def test_api_retrieve_logs_a_view_and_a_forbidden_object_a_denial(client, responder):
    mine = Team.objects.get(is_default=True)
    other = Team.objects.create(name="Elsewhere", slug="elsewhere")

    ok = client.get(f"/t/api/teams/{mine.pk}/")
    denied = client.get(f"/t/api/teams/{other.pk}/")

    assert ok.status_code == 200
    assert [(e.action, e.object_id) for e in events_of(ok)] == [("view", str(mine.pk))]
    assert denied.status_code == 404
    [event] = events_of(denied)
    assert (event.action, event.actor, event.object_id) == (
        "permission_denied",
        responder,
        str(other.pk),
    )


def test_api_list_logs_one_event_naming_the_page(client, responder):
    for n in range(3):
        Team.objects.create(name=f"Team {n}", slug=f"team-{n}").members.add(responder)
    first_page = list(Team.objects.filter(members=responder).order_by("pk")[:2])

    response = client.get("/t/api/teams/")

    assert response.status_code == 200
    [event] = events_of(response)
    assert event.action == "list"
    assert event.details["ids"] == [str(t.pk) for t in first_page]
    assert event.details["page"] == 1


def test_the_setup_check_demands_the_middleware(settings):
    assert check_access_log_setup() == []
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "portal.audit.middleware.AccessLogMiddleware"
    ]
    assert [e.id for e in check_access_log_setup()] == ["audit.E001"]
