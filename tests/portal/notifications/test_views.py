"""Pages: the bell, the notifications list, mark as read, the late-scheduler banner, health."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AccessEvent
from portal.notifications.models import Heartbeat, Notification
from portal.notifications.services import heartbeat_record, notification_send
from tests.factories import verified_client

LIST = "/notifications/"


def send(user, key: str, subject: str = "Deadline soon") -> Notification:
    return notification_send(user=user, subject=subject, body="Body text", dedupe_key=key)


def bell(html: str) -> str:
    match = re.search(r'<a class="bell[^"]*"[^>]*>.*?</a>', html, re.S)
    assert match, "no bell in the top bar"
    return match.group(0)


@pytest.fixture
def beat_fresh(db):
    heartbeat_record(name=Heartbeat.BEAT, enqueued_at=timezone.now())


def test_list_url_is_named():
    assert reverse("notifications:list") == LIST


def test_bell_shows_the_unread_count_on_every_page(responder, beat_fresh):
    for key in "abc":
        send(responder, key)
    client = verified_client(responder)
    html = client.get(reverse("accounts:security")).content.decode()
    assert 'aria-label="Notifications: 3 unread"' in bell(html)
    assert '<span class="bell-count">3</span>' in bell(html)
    client.post(reverse("notifications:read_all"))
    html = client.get(reverse("accounts:security")).content.decode()
    assert "bell-count" not in bell(html)


def test_list_shows_only_my_notifications_with_zoned_times(responder, supervisor, beat_fresh):
    mine = send(responder, "mine", subject="Preservation PR-1 lapses in 2 days")
    send(supervisor, "theirs", subject="Supervisor-only escalation")
    responder.time_zone = "Europe/Paris"
    responder.save()
    response = verified_client(responder).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preservation PR-1 lapses in 2 days" in html
    assert "Supervisor-only escalation" not in html
    local = timezone.localtime(mine.created_at, timezone=ZoneInfo("Europe/Paris"))
    assert f"{local:%Y-%m-%d %H:%M} CE" in html  # CET or CEST: the zone is always shown
    event = AccessEvent.objects.get(action="list", object_type="notifications.notification")
    assert event.actor == responder
    assert event.details["ids"] == [str(mine.pk)]


def test_list_is_paginated(responder, beat_fresh):
    for i in range(30):
        send(responder, f"k{i}", subject=f"Reminder number {i:02d}")
    client = verified_client(responder)
    first = client.get(LIST).content.decode()
    second = client.get(LIST + "?page=2").content.decode()
    assert first.count('<li class="notification') == 25
    assert "Reminder number 29" in first and "Reminder number 04" not in first
    assert second.count('<li class="notification') == 5
    assert "Reminder number 00" in second
    assert "Page 2 of 2" in second


def test_mark_as_read_and_mark_all_as_read(responder, beat_fresh):
    one, _two, _three = (send(responder, k) for k in "abc")
    client = verified_client(responder)
    url = reverse("notifications:read", args=[one.pk])
    response = client.post(url, {"next": LIST + "?page=1"})
    assert response.status_code == 302 and response["Location"] == LIST + "?page=1"
    one.refresh_from_db()
    assert one.read_at is not None
    assert "2 unread notifications." in client.get(LIST).content.decode()
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "2 notification(s) marked as read." in response.content.decode()
    assert not Notification.objects.filter(user=responder, read_at__isnull=True).exists()


def test_next_parameter_cannot_send_users_elsewhere(responder):
    notification = send(responder, "a")
    response = verified_client(responder).post(
        reverse("notifications:read", args=[notification.pk]),
        {"next": "https://evil.example.com/"},
    )
    assert response["Location"] == LIST


def test_someone_elses_notification_is_a_404_and_stays_unread(responder, supervisor):
    theirs = send(supervisor, "a")
    response = verified_client(responder).post(reverse("notifications:read", args=[theirs.pk]))
    missing = verified_client(responder).post(reverse("notifications:read", args=[999999]))
    assert response.status_code == missing.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert AccessEvent.objects.filter(action="permission_denied", actor=responder).count() == 2


def test_marking_read_needs_a_post(responder):
    notification = send(responder, "a")
    url = reverse("notifications:read", args=[notification.pk])
    assert verified_client(responder).get(url).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_officers_get_their_own_notifications_and_no_scheduler_banner(officer_a):
    send(officer_a.user, "pr-1", subject="Your preservation PR-1 lapses on 2026-12-01")
    html = verified_client(officer_a.user).get(LIST).content.decode()
    assert "Your preservation PR-1 lapses on 2026-12-01" in html
    assert "Reminders may be late" not in html  # no beat heartbeat at all here


@pytest.mark.parametrize("suspended", ["officer", "agency"])
def test_a_suspended_officer_reads_no_notification_naming_requests(officer_a, suspended):
    mine = send(officer_a.user, "pr-2", subject="Your preservation PR-2 lapses on 2026-12-01")
    if suspended == "officer":
        type(officer_a).objects.filter(pk=officer_a.pk).update(status="suspended")
    else:
        type(officer_a.agency).objects.filter(pk=officer_a.agency_id).update(status="suspended")
    client = verified_client(officer_a.user)
    html = client.get(LIST).content.decode()
    assert "PR-2" not in html
    assert "bell-count" not in bell(html)  # no unread count either
    response = client.post(reverse("notifications:read", args=[mine.pk]))
    assert response.status_code == 404


def test_staff_are_warned_when_the_scheduler_never_ran(responder):
    html = verified_client(responder).get(LIST).content.decode()
    assert "Reminders may be late: the scheduler has not run yet." in html


def test_staff_are_warned_with_the_zoned_time_when_the_scheduler_is_late(responder):
    beat = heartbeat_record(name=Heartbeat.BEAT)
    last_seen = timezone.now() - timedelta(minutes=4)
    Heartbeat.objects.filter(pk=beat.pk).update(last_seen=last_seen)
    html = verified_client(responder).get(LIST).content.decode()
    assert f"the scheduler has not run since {last_seen:%H:%M} UTC." in html
    assert 'role="alert"' in html


def test_no_warning_while_the_scheduler_is_on_time(responder, beat_fresh):
    assert "Reminders may be late" not in verified_client(responder).get(LIST).content.decode()


def test_pages_stay_free_of_inline_script_and_style(responder, beat_fresh):
    send(responder, "a")
    html = verified_client(responder).get(LIST).content.decode()
    assert " style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert "<style" not in html


def test_health_view_for_administrators(admin_user, beat_fresh):
    client = verified_client(admin_user)
    page = client.get("/healthz/celery")
    assert page.status_code == 200
    assert "Worker health" in page.content.decode()
    data = client.get("/healthz/celery?format=json").json()
    assert data["status"] == "ok"
    assert data["heartbeats"][0]["name"] == "beat"
    assert data["deliveries"] == {
        "pending": 0, "overdue": 0, "failed_last_day": 0, "oldest_overdue": None,
    }  # fmt: skip


def test_health_view_reports_late_scheduler_as_503(admin_user):
    response = verified_client(admin_user).get("/healthz/celery?format=json")
    assert response.status_code == 503
    assert response.json()["status"] == "late"


@pytest.mark.parametrize("persona", ["responder", "supervisor", "auditor"])
def test_health_view_is_hidden_from_everyone_else(db, request, persona):
    user = request.getfixturevalue(persona)
    assert verified_client(user).get("/healthz/celery").status_code == 404


def test_health_view_is_hidden_from_officers(officer_a):
    assert verified_client(officer_a.user).get("/healthz/celery").status_code == 404
