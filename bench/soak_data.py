"""The soak's data (bench/soak.py), through the services and the tests' factories: who the
officers are, which deadlines fall due during the run, which CyberTipline drafts are filed,
and afterwards what the database says happened. Runs in the soak's own process, with
Django set up on the soak's database."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections, connections

T = TypeVar("T")
AGENCIES = 10


def retried(work: Callable[[], T], seconds: float = 30) -> T:
    """``work`` again after a lost database connection (the soak restarts PostgreSQL)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return work()
        except (OperationalError, InterfaceError):
            connections.close_all()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            close_old_connections()


def officers_seed(count: int) -> list[str]:
    """``count`` verified officers in ``AGENCIES`` agencies; a read+submit token each."""
    from django.contrib.auth.models import Group

    from portal.accounts.models import Officer, User
    from portal.accounts.roles import Role
    from portal.accounts.tokens import api_token_issue
    from tests.factories import AgencyFactory

    agencies = [AgencyFactory(name=f"Soak County Police {n}") for n in range(AGENCIES)]
    group = Group.objects.get(name=Role.OFFICER)
    tokens = []
    for n in range(count):
        agency = agencies[n % AGENCIES]
        user = User.objects.create_user(
            username=f"soak.officer{n}",
            email=f"officer{n}@{agency.email_domains[0]}",
            password=None,
            first_name="Soak",
            last_name=f"Officer {n}",
        )
        user.groups.add(group)
        Officer.objects.create(
            user=user, agency=agency, badge_number=f"S-{n}", phone="+12025550123",
            status=Officer.Status.VERIFIED,
        )  # fmt: skip
        token = api_token_issue(user=user, name="soak", scopes=["read", "submit"], days=1)
        tokens.append(token.plaintext)
    return tokens


def reminders_seed(*, start: datetime, offsets: list[float], lead: timedelta) -> list[int]:
    """One deadline per offset whose one reminder step ("60m before") falls due at
    ``start + offset`` seconds; the responder assigned to each hears of it."""
    from cases.models import Deadline, DeadlineKind
    from cases.reminders.steps import reminder_schedule
    from portal.accounts.roles import Role
    from tests.cases.factories import CaseFactory
    from tests.factories import UserFactory, default_team

    responder = UserFactory(username="soak.responder", roles=[Role.RESPONDER], password=None)
    default_team().members.add(responder)
    ids = []
    for n, offset in enumerate(offsets):
        due_at = start + timedelta(seconds=offset) + lead
        case = CaseFactory(assignee=responder, reference=f"LR-2026-{800000 + n:06d}")
        deadline = Deadline.objects.create(
            case=case, kind=DeadlineKind.RESPONSE, due_at=due_at, rule_id="us.subpoena",
            citation="18 USC 2703(c)(2)", explanation="Soak deadline",
            **reminder_schedule(kind=DeadlineKind.RESPONSE, due_at=due_at, emergency=False,
                                now=start),
        )  # fmt: skip
        ids.append(deadline.pk)
    return ids


def cybertip_seed(count: int) -> tuple[int, list[int]]:
    """An analyst and ``count`` complete CyberTipline drafts, one per child-safety case."""
    from django.utils import timezone

    from cases.models import ProcessKind
    from portal.accounts.roles import Role
    from reports.cybertip.models import PersonRole
    from reports.cybertip.services import PersonInput, report_draft_create, report_file_add
    from tests.cases.factories import CaseFactory, LegalProcessFactory
    from tests.factories import UserFactory, default_team
    from tests.reports.cybertip.helpers import file_input, report_input

    analyst = UserFactory(username="soak.analyst", roles=[Role.CHILD_SAFETY], password=None)
    default_team().members.add(analyst)
    ids = []
    for n in range(count):
        case = CaseFactory(child_safety=True, reference=f"CS-2026-{800000 + n:06d}")
        LegalProcessFactory(
            case=case, kind=ProcessKind.CYBERTIPLINE, country="US", subdivision="",
            issuing_authority="Internal detection",
            received_at=timezone.now() - timedelta(hours=2),
        )  # fmt: skip
        person = PersonInput(
            role=PersonRole.REPORTED, esp_identifier=soak_identifier(n),
            screen_name=f"soak_user_{n}", emails=[f"reported{n}@example.com"],
            ip_events=[{"ip": "203.0.113.9", "event": "Upload",
                        "at": "2026-11-30T10:00:00+00:00"}],
        )  # fmt: skip
        report = report_draft_create(case=case, actor=analyst, data=report_input(persons=[person]))
        report_file_add(report=report, actor=analyst, upload=file_input(n))
        ids.append(report.pk)
    return analyst.pk, ids


def soak_identifier(n: int) -> str:
    """The reported person's ESP id in draft ``n``: how the NCMEC side tells them apart."""
    return f"soak-reported-{n:04d}"


def cybertip_queue(analyst_id: int, report_ids: list[int]) -> None:
    """The analyst files each draft (``report_submit_request``, as the page's button)."""
    from portal.accounts.models import User
    from reports.cybertip.models import CyberTipReport
    from reports.cybertip.services import report_submit_request

    for report_id in report_ids:
        retried(
            lambda r=report_id: report_submit_request(
                report=CyberTipReport.objects.get(pk=r), actor=User.objects.get(pk=analyst_id)
            )
        )


def submissions_stored(keys: set[str]) -> dict[str, str | None]:
    """idempotency key -> reference of the request it filed, as the database has it."""
    from cases.models import SubmissionKey

    rows = SubmissionKey.objects.filter(key__in=keys).values_list("key", "case__reference")
    return dict(rows)


def reminders_state(deadline_ids: list[int]) -> tuple[dict[int, int], list[str]]:
    """(reminder rows per deadline, public ids of their webhook deliveries)."""
    from cases.models import Reminder
    from portal.notifications.models import Delivery

    per_deadline = {d: 0 for d in deadline_ids}
    keys = []
    for reminder in Reminder.objects.filter(deadline_id__in=deadline_ids):
        per_deadline[reminder.deadline_id] += 1
        keys.append(f"reminder:{reminder.pk}")
    webhooks = Delivery.objects.filter(notification__dedupe_key__in=keys, channel="webhook")
    return per_deadline, [
        str(p) for p in webhooks.values_list("notification__public_id", flat=True)
    ]


def cybertip_state(report_ids: list[int]) -> dict[int, tuple[str, int | None]]:
    from reports.cybertip.models import CyberTipReport

    rows = CyberTipReport.objects.filter(pk__in=report_ids)
    return {r.pk: (r.status, r.ncmec_report_id) for r in rows}


def settled(report_ids: list[int], deadline_ids: list[int], webhooks: Callable[[], Any]) -> bool:
    """True once every queued report is final and every reminder's webhook arrived."""
    from reports.cybertip.models import IN_FLIGHT

    states = cybertip_state(report_ids)
    if any(status in IN_FLIGHT for status, _id in states.values()):
        return False
    per_deadline, expected = reminders_state(deadline_ids)
    return all(n >= 1 for n in per_deadline.values()) and set(expected) <= set(webhooks())
