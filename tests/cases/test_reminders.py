"""The reminder sweep in-process, with a controllable clock (``reminders_sweep(now=...)``).

These tests pin down what each step sends, to whom, in which words, and what the schedule
does next. The real-worker behaviour (crashes, outages, concurrency) is in
test_reminders_worker.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import (
    CaseStatus,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    PreservationStatus,
    ProcessKind,
    Reminder,
    ReminderOutcome,
    TimelineEvent,
)
from cases.reminders import sweep as sweep_module
from cases.reminders.steps import reminder_schedule
from cases.reminders.sweep import SweepConfig, deadlines_claim, deadlines_due, reminders_sweep
from cases.services import deadline_override, preservation_extend
from portal.accounts.roles import Role
from portal.audit.models import AccessEvent
from portal.notifications.models import Delivery, Heartbeat, Notification
from tests.cases.factories import CaseFactory, LegalProcessFactory, intake
from tests.factories import UserFactory, default_team

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def default_steps(settings):
    settings.LIAISON_REMINDER_STEPS = {}
    settings.LIAISON_BUSINESS_TIME_ZONE = "UTC"


def deadline_for(case, *, due_at, now, kind=DeadlineKind.RESPONSE) -> Deadline:
    """A deadline as the services write it: due at ``due_at``, scheduled at ``now``."""
    return Deadline.objects.create(
        case=case,
        kind=kind,
        due_at=due_at,
        rule_id="us.subpoena",
        citation="18 USC 2703(c)(2)",
        explanation="Test deadline",
        **reminder_schedule(kind=kind, due_at=due_at, emergency=case.emergency, now=now),
    )


def notes(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("created_at", "pk"))


def steps_of(deadline) -> list[tuple[str, bool]]:
    return list(deadline.reminders.order_by("pk").values_list("step", "late"))


def test_each_step_goes_to_the_assignee_once_in_order(responder):
    # GIVEN a case assigned to a responder, with a response due in ten days
    now = timezone.now()
    case = CaseFactory(assignee=responder, reference="LR-2026-000101")
    due = now + 10 * DAY
    deadline = deadline_for(case, due_at=due, now=now)
    assert (deadline.next_reminder_step, deadline.next_reminder_at) == ("7d", due - 7 * DAY)
    # WHEN the sweep runs at each step's time, twice each time
    for at in (due - 7 * DAY, due - 2 * DAY, due - DAY, due - 2 * HOUR):
        reminders_sweep(now=at + MINUTE)
        reminders_sweep(now=at + MINUTE)
    # THEN the responder got one notification per step, in order, none late
    assert steps_of(deadline) == [("7d", False), ("2d", False), ("1d", False), ("2h", False)]
    subjects = [n.subject for n in notes(responder)]
    assert subjects[0] == "LR-2026-000101: response due in 7 days"
    assert subjects[-1] == "LR-2026-000101: response due in 2 hours"
    assert len(subjects) == 4
    first = notes(responder)[0]
    assert first.url == f"/cases/{case.reference}/"
    assert first.body.startswith("LR-2026-000101, response due: ")
    assert first.body.endswith(" UTC (in 7 days). Rule: 18 USC 2703(c)(2).")
    assert first.dedupe_key == f"reminder:{deadline.reminders.first().pk}"
    assert set(Delivery.objects.filter(notification=first).values_list("channel", flat=True)) == {
        "email"
    }
    deadline.refresh_from_db()
    assert (deadline.next_reminder_step, deadline.next_reminder_at) == ("overdue:1", due)
    assert deadline.reminders_sent == 4


def test_nothing_is_sent_before_its_time(responder):
    now = timezone.now()
    case = CaseFactory(assignee=responder)
    deadline_for(case, due_at=now + 10 * DAY, now=now)
    result = reminders_sweep(now=now + DAY)
    assert (result.claimed, result.reminders) == (0, 0)
    assert not Notification.objects.exists()
    assert Heartbeat.objects.get(name="reminders_sweep").last_seen is not None


def test_unassigned_case_reminds_everyone_in_the_team_who_could_take_it(
    responder, legal, supervisor, child_safety, auditor, outsider
):
    # GIVEN an unassigned request case in the default team (plus an outsider's team)
    now = timezone.now()
    case = CaseFactory()
    deadline_for(case, due_at=now + DAY + HOUR, now=now)
    # WHEN the one-day reminder falls due
    reminders_sweep(now=now + 2 * HOUR)
    # THEN those who could work a request got it; the analyst, auditor and outsider did not
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"responder", "legal", "supervisor"}


def test_overdue_deadline_escalates_to_supervisors_daily(responder, supervisor, second_supervisor):
    # GIVEN an assigned case whose response is due in an hour
    now = timezone.now()
    case = CaseFactory(assignee=responder, reference="LR-2026-000102")
    due = now + HOUR
    deadline = deadline_for(case, due_at=due, now=now)
    reminders_sweep(now=now)  # the two-hour reminder, sent at once
    # WHEN it passes its due time, and again a day later, still open
    reminders_sweep(now=due + MINUTE)
    reminders_sweep(now=due + DAY + MINUTE)
    # THEN both supervisors were told twice, and the responder heard it is overdue
    assert steps_of(deadline) == [("2h", False), ("overdue:1", False), ("overdue:2", False)]
    for boss in (supervisor, second_supervisor):
        subjects = [n.subject for n in notes(boss)]
        assert len(subjects) == 2
        assert subjects[0].startswith("Escalation: LR-2026-000102 overdue since ")
        assert subjects[0].endswith(" UTC (response due)")
        assert notes(boss)[0].severity == "urgent"
        assert "Assignee: responder." in notes(boss)[0].body
    assert [n.kind for n in notes(responder)] == [
        "deadline_reminder",
        "deadline_overdue",
        "deadline_overdue",
    ]
    assert deadline.reminders.filter(outcome=ReminderOutcome.ESCALATED).count() == 2


def test_missed_steps_are_sent_once_in_order_and_marked_late(responder, supervisor):
    # GIVEN a deadline scheduled normally, then a sweep that did not run for three days
    now = timezone.now()
    case = CaseFactory(assignee=responder, reference="LR-2026-000103")
    due = now + 3 * DAY
    deadline = deadline_for(case, due_at=due, now=now)
    assert deadline.next_reminder_step == "2d"
    # WHEN the sweep runs again one hour after the due time
    result = reminders_sweep(now=due + HOUR)
    # THEN every missed step went out once, in order, each marked late, ending overdue
    assert steps_of(deadline) == [
        ("2d", True),
        ("1d", True),
        ("2h", True),
        ("overdue:1", True),
    ]
    assert (result.reminders, result.late) == (4, 4)
    mine = notes(responder)
    assert [n.subject.split(":")[0] for n in mine] == ["Late"] * 4
    assert mine[0].body.startswith("Sent late: this reminder was due at ")
    rows = list(deadline.reminders.order_by("pk"))
    assert [r.due_at for r in rows] == [due - 2 * DAY, due - DAY, due - 2 * HOUR, due]
    assert all(r.sent_at == due + HOUR for r in rows)
    # ... and a second run has nothing left to send
    assert reminders_sweep(now=due + HOUR).reminders == 0


def test_a_reminder_sent_within_the_tolerance_is_not_late(responder):
    now = timezone.now()
    case = CaseFactory(assignee=responder)
    deadline = deadline_for(case, due_at=now + 10 * DAY, now=now)
    reminders_sweep(now=deadline.next_reminder_at + 2 * MINUTE)
    assert steps_of(deadline) == [("7d", False)]
    assert not notes(responder)[0].subject.startswith("Late")


def test_moving_a_deadline_restarts_its_steps(responder, supervisor):
    # GIVEN a deadline whose 7-day reminder went out
    now = timezone.now()
    case = CaseFactory(assignee=responder)
    due = now + 8 * DAY
    deadline = deadline_for(case, due_at=due, now=now)
    reminders_sweep(now=due - 7 * DAY + MINUTE)
    # WHEN a supervisor moves it three weeks out
    moved = deadline_override(
        deadline=deadline, due_at=due + 21 * DAY, reason="Court granted more time", actor=supervisor
    )
    # THEN its next step is the 7-day reminder of the new time, which is sent again
    assert (moved.next_reminder_step, moved.next_reminder_at) == ("7d", due + 14 * DAY)
    assert moved.reminders_sent == 0
    reminders_sweep(now=due + 14 * DAY + MINUTE)
    assert [step for step, _late in steps_of(deadline)] == ["7d", "7d"]
    assert len(notes(responder)) == 2


def test_met_deadlines_send_nothing(responder):
    now = timezone.now()
    case = CaseFactory(assignee=responder)
    deadline = deadline_for(case, due_at=now + HOUR, now=now)
    Deadline.objects.filter(pk=deadline.pk).update(status=DeadlineStatus.MET)
    assert reminders_sweep(now=now + DAY).claimed == 0
    assert not Notification.objects.exists()


def test_emergency_first_decision_reminds_thirty_and_ten_minutes_before(responder):
    # GIVEN an emergency request through the real intake (first decision within an hour)
    case = intake(
        responder, kind=ProcessKind.US_EMERGENCY, document=None, emergency_justification="Threat"
    )
    case.assignee = responder
    case.save(update_fields=["assignee"])
    deadline = case.deadlines.get(kind=DeadlineKind.FIRST_DECISION)
    assert deadline.next_reminder_step == "30m"
    # WHEN the sweep runs at 35 and 52 minutes
    reminders_sweep(now=deadline.due_at - 25 * MINUTE)
    reminders_sweep(now=deadline.due_at - 8 * MINUTE)
    # THEN two urgent reminders went out
    assert [s for s, _late in steps_of(deadline)] == ["30m", "10m"]
    assert {n.severity for n in notes(responder)} == {"urgent"}


def test_intake_and_recomputation_keep_the_schedule(responder):
    # GIVEN a subpoena received now: its response deadline is in 14 days
    case = intake(responder)
    deadline = case.deadlines.get(kind=DeadlineKind.RESPONSE)
    assert deadline.next_reminder_step == "7d"
    assert deadline.next_reminder_at == deadline.due_at - 7 * DAY
    # WHEN the workflow closes the case's work, THEN the deadline is no longer claimable
    claimable = [d.pk for d in deadlines_claim(now=deadline.due_at + DAY, limit=50)]
    assert deadline.pk in claimable
    Deadline.objects.filter(pk=deadline.pk).update(status=DeadlineStatus.CANCELLED)
    claimable = [d.pk for d in deadlines_claim(now=deadline.due_at + DAY, limit=50)]
    assert deadline.pk not in claimable


# --- preservations ------------------------------------------------------------------------


@pytest.fixture
def hold_case(responder, officer_a):
    """A 2703(f) preservation submitted by officer A, assigned to the responder."""
    case = intake(responder, kind=ProcessKind.US_PRESERVATION, submitting_officer=officer_a)
    case.assignee = responder
    case.save(update_fields=["assignee"])
    return case


def expiry_of(case) -> Deadline:
    return case.deadlines.get(kind=DeadlineKind.PRESERVATION_EXPIRY)


def test_officer_is_told_to_extend_before_the_hold_lapses(hold_case, officer_a, responder):
    # GIVEN a 90-day hold
    deadline = expiry_of(hold_case)
    assert deadline.next_reminder_step == "14d"
    # WHEN the 14-day reminder falls due
    reminders_sweep(now=deadline.due_at - 14 * DAY + MINUTE)
    # THEN the officer is told, with a link to their portal, and the responder too
    (note,) = notes(officer_a.user)
    assert note.subject.startswith(f"Preservation for {hold_case.reference} lapses on ")
    assert note.url == f"/officer/requests/{hold_case.reference}/"
    assert "Extend it in the portal" in note.body
    assert set(Delivery.objects.filter(notification=note).values_list("channel", flat=True)) == {
        "email"
    }
    assert len(notes(responder)) == 1
    assert notes(responder)[0].url == f"/cases/{hold_case.reference}/"


def test_lapsed_hold_is_released_after_the_final_warning(
    hold_case, officer_a, responder, supervisor
):
    # GIVEN a hold nobody extended, whose final warning (1 day before) went out
    deadline = expiry_of(hold_case)
    hold = hold_case.preservations.get()
    reminders_sweep(now=deadline.due_at - DAY + MINUTE)
    # (the 14d, 7d and 2d steps were never run, so they went out late just before)
    assert steps_of(deadline) == [("14d", True), ("7d", True), ("2d", True), ("1d", False)]
    # WHEN the sweep runs just after expiry
    result = reminders_sweep(now=deadline.due_at + MINUTE)
    # THEN the hold is released, by the task, audited and on the public timeline
    assert result.released == 1
    hold.refresh_from_db()
    assert hold.status == PreservationStatus.RELEASED and hold.released_by is None
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MET
    event = AccessEvent.objects.filter(action="preservation_release").get()
    assert event.actor_label == "task:cases.reminders_sweep" and event.actor is None
    assert event.details["automatic"] is True
    timeline = TimelineEvent.objects.filter(case=hold_case, kind="preservation").last()
    assert timeline.public and "released automatically on expiry" in timeline.message
    assert deadline.reminders.get(step="release").outcome == ReminderOutcome.RELEASED
    assert notes(officer_a.user)[-1].subject == f"Preservation for {hold_case.reference} has lapsed"
    assert notes(supervisor)[-1].kind == "preservation_released"
    # ... and nothing more is ever sent for it
    assert reminders_sweep(now=deadline.due_at + 5 * DAY).reminders == 0


def test_hold_is_not_released_before_the_final_warning_had_time_to_act(hold_case, officer_a):
    # GIVEN the scheduler was down across the final warning and the expiry
    deadline = expiry_of(hold_case)
    hold = hold_case.preservations.get()
    Deadline.objects.filter(pk=deadline.pk).update(
        next_reminder_step="1d", next_reminder_at=deadline.due_at - DAY
    )
    # WHEN it catches up ten minutes after expiry
    reminders_sweep(now=deadline.due_at + 10 * MINUTE)
    # THEN the final warning goes out (late) but the hold stays for the grace hour
    hold.refresh_from_db()
    assert hold.status == PreservationStatus.ACTIVE
    deadline.refresh_from_db()
    assert deadline.next_reminder_step == "release"
    assert deadline.next_reminder_at == deadline.due_at + 10 * MINUTE + HOUR
    assert notes(officer_a.user)[-1].subject.startswith("Late: Preservation for")
    # ... and an hour later it is released
    reminders_sweep(now=deadline.due_at + 10 * MINUTE + HOUR)
    hold.refresh_from_db()
    assert hold.status == PreservationStatus.RELEASED


def test_hold_with_legal_process_on_the_case_is_escalated_not_released(
    hold_case, officer_a, supervisor
):
    # GIVEN a search warrant arrived on the case, but nobody marked the hold superseded
    LegalProcessFactory(case=hold_case, kind=ProcessKind.US_SEARCH_WARRANT)
    deadline = expiry_of(hold_case)
    hold = hold_case.preservations.get()
    reminders_sweep(now=deadline.due_at - DAY + MINUTE)
    # WHEN the hold reaches expiry
    reminders_sweep(now=deadline.due_at + HOUR)
    # THEN it is kept, supervisors must decide, and the officer hears nothing of it
    hold.refresh_from_db()
    assert hold.status == PreservationStatus.ACTIVE
    assert deadline.reminders.get(step="release").outcome == ReminderOutcome.RELEASE_BLOCKED
    assert notes(supervisor)[-1].kind == "preservation_release_held"
    assert "US search warrant" in notes(supervisor)[-1].body
    assert notes(officer_a.user)[-1].kind == "preservation_expiry"
    deadline.refresh_from_db()
    assert (deadline.next_reminder_step, deadline.next_reminder_at) == (
        "overdue:1",
        deadline.due_at + DAY,
    )


def test_extended_hold_starts_its_reminders_again(hold_case, officer_a):
    # GIVEN the 14-day reminder went out, WHEN the officer extends the hold
    deadline = expiry_of(hold_case)
    reminders_sweep(now=deadline.due_at - 14 * DAY + MINUTE)
    preservation_extend(preservation=hold_case.preservations.get(), actor=officer_a.user)
    # THEN the schedule follows the new expiry, 90 days later
    moved = expiry_of(hold_case)
    assert moved.due_at >= deadline.due_at + 89 * DAY
    assert (moved.next_reminder_step, moved.next_reminder_at) == ("14d", moved.due_at - 14 * DAY)
    assert reminders_sweep(now=deadline.due_at + MINUTE).released == 0


# --- robustness -------------------------------------------------------------------------


def test_one_failing_deadline_does_not_hold_up_the_others(responder, monkeypatch):
    # GIVEN two due deadlines, the first of which cannot be rendered (a bug)
    now = timezone.now()
    broken = deadline_for(
        CaseFactory(assignee=responder, reference="LR-2026-000104"), due_at=now + HOUR, now=now
    )
    fine = deadline_for(
        CaseFactory(assignee=responder, reference="LR-2026-000105"), due_at=now + HOUR, now=now
    )
    real = sweep_module.reminder_message

    def flaky(**words):
        if words["case"].reference == "LR-2026-000104":
            raise RuntimeError("template bug")
        return real(**words)

    monkeypatch.setattr(sweep_module, "reminder_message", flaky)
    # WHEN the sweep runs
    result = reminders_sweep(now=now)
    # THEN the other one is sent, and the broken one is put back for later, untouched
    assert (result.failed, result.reminders) == (1, 1)
    assert steps_of(fine) == [("2h", False)]
    assert steps_of(broken) == []
    broken.refresh_from_db()
    assert broken.next_reminder_step == "2h"
    assert broken.next_reminder_at == now + SweepConfig.from_settings().retry_after
    assert not Notification.objects.filter(subject__contains="000104").exists()


def test_the_sweep_works_in_small_batches_until_done(responder, settings):
    settings.LIAISON_REMINDER_BATCH_SIZE = 3
    now = timezone.now()
    case = CaseFactory(assignee=responder)
    for i in range(8):
        deadline_for(case, due_at=now + HOUR + i * MINUTE, now=now)
    backlog: list[bool] = []
    result = reminders_sweep(now=now, on_backlog=lambda: backlog.append(True))
    assert (result.claimed, result.reminders) == (8, 8)
    assert Reminder.objects.count() == 8
    # a full first batch means a backlog: one more sweep is asked for, once
    assert backlog == [True]
    reminders_sweep(now=now + 30 * MINUTE, on_backlog=lambda: backlog.append(True))
    assert backlog == [True]  # nothing due: no more sweeps


def test_the_claim_is_one_range_scan_of_the_partial_index(responder):
    now = timezone.now()
    deadline_for(CaseFactory(assignee=responder), due_at=now + HOUR, now=now)
    queryset = deadlines_due(now=now)
    sql, params = queryset[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "cases_deadline_reminder_due" in plan
    assert "Sort" not in plan


def test_reminders_reach_an_empty_team_s_supervisors(supervisor):
    # GIVEN an unassigned child-safety case in a team with no analyst
    now = timezone.now()
    case = CaseFactory(child_safety=True)
    deadline_for(case, due_at=now + HOUR, now=now)
    reminders_sweep(now=now)
    assert [n.user for n in Notification.objects.all()] == [supervisor]


def test_inactive_assignee_falls_back_to_the_team(responder, legal):
    now = timezone.now()
    gone = UserFactory(username="gone", roles=[Role.RESPONDER], is_active=False)
    default_team().members.add(gone)
    case = CaseFactory(assignee=gone, status=CaseStatus.TRIAGE)
    deadline_for(case, due_at=now + HOUR, now=now)
    reminders_sweep(now=now)
    assert set(Notification.objects.values_list("user__username", flat=True)) == {
        "responder",
        "legal",
    }
