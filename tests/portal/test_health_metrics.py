"""The Prometheus endpoint: the named metrics, real values, and who may scrape.

State metrics are read from rows the real services wrote (a reminder sweep over real
deadlines); the scrape is parsed with prometheus_client's own parser, as Prometheus would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cases.models import Deadline, DeadlineKind, DeadlineStatus, Reminder
from cases.reminders.steps import reminder_schedule
from cases.reminders.sweep import reminders_sweep
from portal import metrics
from portal.notifications.models import Delivery
from tests.cases.factories import CaseFactory

HOUR = timedelta(hours=1)
# Queue depth and readings depend on the broker and database given (CI: -m server too).
pytestmark = pytest.mark.server


@pytest.fixture(autouse=True)
def _fresh_state(settings):
    settings.LIAISON_METRICS_STATE_CACHE_SECONDS = 0  # every scrape reads the rows again
    settings.LIAISON_METRICS_TOKEN = ""
    settings.LIAISON_METRICS_NETWORKS = ["127.0.0.1/32"]


def scrape(client, **headers) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def deadline(case, *, due_at, now) -> Deadline:
    return Deadline.objects.create(
        case=case,
        kind=DeadlineKind.RESPONSE,
        due_at=due_at,
        rule_id="us.subpoena",
        citation="18 USC 2703(c)(2)",
        explanation="Test deadline",
        **reminder_schedule(
            kind=DeadlineKind.RESPONSE, due_at=due_at, emergency=False, now=now - 30 * 24 * HOUR
        ),
    )


def test_scrape_serves_every_named_metric_with_the_state_of_the_rows(client, responder):
    # GIVEN one deadline due in 3 hours (at risk), one overdue, one met, a day's reminders
    now = timezone.now()
    case = CaseFactory(assignee=responder)
    deadline(case, due_at=now + 3 * HOUR, now=now)
    deadline(case, due_at=now - 2 * HOUR, now=now)
    met = deadline(case, due_at=now + 2 * HOUR, now=now)
    Deadline.objects.filter(pk=met.pk).update(status=DeadlineStatus.MET)
    result = reminders_sweep(now=now)  # the real sweep: reminder rows, notifications
    assert result.claimed >= 2
    reminded = Reminder.objects.count()
    assert reminded >= 2
    # One reminder e-mail used up its retries (the delivery task records it so).
    failed = Delivery.objects.filter(notification__dedupe_key__startswith="reminder:").first()
    assert failed is not None
    Delivery.objects.filter(pk=failed.pk).update(status=Delivery.Status.FAILED)
    metrics.cybertip_submission_record(outcome="accepted")
    before = scrape(client)["liaison_cybertip_submissions_total"]

    # WHEN a request is served and Prometheus scrapes
    client.get("/healthz")
    metrics.cybertip_submission_record(outcome="rejected")
    found = scrape(client)

    # THEN the named metrics are all there, with the values of the rows
    assert found["liaison_deadlines_at_risk"][()] == 1  # the met one does not count
    assert found["liaison_deadlines_overdue"][()] == 1
    sent = found["liaison_reminders_sent_total"]
    assert sum(sent.values()) == reminded
    assert found["liaison_reminder_deliveries_total"][(("status", "failed"),)] == 1
    assert 0 <= found["liaison_sweep_lag_seconds"][()] < 60
    assert found["liaison_broker_up"][()] == 1
    assert (("queue", "celery"),) in found["liaison_queue_depth"]
    cybertip = found["liaison_cybertip_submissions_total"]
    rejected = (("outcome", "rejected"),)
    assert cybertip[rejected] == before[rejected] + 1
    assert (("outcome", "failed"),) in cybertip  # exported at 0 before the first failure
    latency = found["liaison_http_request_duration_seconds_count"]
    healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert latency[healthz] >= 1


def test_queue_depth_counts_waiting_messages(client, db, settings):
    from kombu import Connection

    settings.LIAISON_METRICS_QUEUES = ["liaison-test-metrics-depth"]
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    ) as conn:
        queue = conn.SimpleQueue("liaison-test-metrics-depth")
        try:
            queue.clear()
            for n in range(3):
                queue.put({"n": n})
            depth = scrape(client)["liaison_queue_depth"]
            assert depth[(("queue", "liaison-test-metrics-depth"),)] == 3
        finally:
            queue.clear()
            queue.close()


def test_unknown_cybertip_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown CyberTipline outcome"):
        metrics.cybertip_submission_record(outcome="maybe")  # type: ignore[arg-type]


def test_metrics_need_the_token_or_a_direct_peer_in_the_allowed_networks(client, db, settings):
    settings.LIAISON_METRICS_TOKEN = "scrape-token-0123456789abcdef"
    outsider = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", **outsider).status_code == 404
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token", **outsider).status_code
        == 404
    )
    ok = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789abcdef", **outsider
    )
    assert ok.status_code == 200
    # Through a proxy the peer is the proxy: the network rule never admits it.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 404
    # A direct scraper on an allowed network needs no token.
    assert client.get("/metrics").status_code == 200


def test_signed_in_user_without_second_factor_cannot_scrape(client, responder):
    # A session does not open the endpoint: only the token or the network rule does.
    client.force_login(responder)
    response = client.get("/metrics", REMOTE_ADDR="198.51.100.20")
    assert response.status_code in (302, 404)
