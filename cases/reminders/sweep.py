"""The reminder sweep: act on every reminder step whose time has come, exactly once.

State-based: the only input is the ``Deadline`` rows (``next_reminder_at`` and
``next_reminder_step``), so a sweep that did not run for hours (beat or every worker down)
finds every step it missed on its next run and sends them, in order, marked late.

One run claims due deadlines in small batches, soonest first, with ``SELECT ... FOR
UPDATE SKIP LOCKED`` on the partial index ``cases_deadline_reminder_due``: concurrent runs
(two workers, a retry, a catch-up run) take different rows and never wait on each other.
For each claimed deadline, in the batch's transaction:

1. insert the ``Reminder`` row for the step (unique per deadline, due time and step; a
   conflict means the step was already acted on and nothing is sent);
2. create the notifications through ``notification_send`` with the key
   ``reminder:<row id>``; their e-mail and webhook deliveries are queued when the
   transaction commits, and never if it rolls back;
3. move ``next_reminder_at``/``next_reminder_step`` to the following step.

A worker killed half way leaves an open transaction that PostgreSQL rolls back: no row,
no notification, no queued delivery, and the schedule unchanged, so the next run does the
same work again. A deadline whose processing raises is put back a few minutes (savepoint)
without holding up the rest of the batch; database outages propagate for the task's retry.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from cases.models import (
    Case,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Preservation,
    PreservationStatus,
    Reminder,
    ReminderOutcome,
)
from cases.reminders.messages import reminder_message
from cases.reminders.recipients import Audience, Recipient, RecipientCache, reminder_recipients
from cases.reminders.steps import Phase, Profile, ReminderSettings, Step
from cases.rules import MAX_PRESERVATION_EXTENSIONS
from cases.services.preservations import ExpiryOutcome, preservation_expire
from portal.notifications.models import Delivery
from portal.notifications.services import heartbeat_record, notification_send

logger = logging.getLogger(__name__)

SWEEP_HEARTBEAT = "reminders_sweep"
ACTOR_LABEL = "task:cases.reminders_sweep"
# Steps acted on per deadline per claim; a deadline has a handful, this only bounds a bug.
MAX_STEPS_PER_CLAIM = 32
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
IN_FORCE = (PreservationStatus.ACTIVE, PreservationStatus.EXTENDED)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass(frozen=True)
class SweepConfig:
    """Tuning of the sweep (docs/reminders.md); settings so tests and benches may change it."""

    batch_size: int
    late_after: timedelta
    budget_seconds: float
    retry_after: timedelta

    @classmethod
    def from_settings(cls) -> SweepConfig:
        return cls(
            batch_size=int(_setting("LIAISON_REMINDER_BATCH_SIZE", 50)),
            late_after=timedelta(seconds=_setting("LIAISON_REMINDER_LATE_SECONDS", 180)),
            budget_seconds=_setting("LIAISON_REMINDER_SWEEP_BUDGET_SECONDS", 40),
            retry_after=timedelta(seconds=_setting("LIAISON_REMINDER_RETRY_SECONDS", 300)),
        )


@dataclass
class SweepResult:
    claimed: int = 0
    reminders: int = 0
    late: int = 0
    notifications: int = 0
    released: int = 0
    failed: int = 0
    more: bool = False  # stopped at the time budget with due rows left


@dataclass
class _Run:
    """What one sweep run shares between deadlines."""

    now: datetime
    steps: ReminderSettings
    config: SweepConfig
    recipients: RecipientCache
    result: SweepResult


def deadlines_claim(*, now: datetime, limit: int) -> list[Deadline]:
    """Lock up to ``limit`` open deadlines whose next step is due, soonest first.

    One range scan of the partial index ``cases_deadline_reminder_due``; rows another
    sweep holds are skipped, not waited for. Only the deadline rows are locked.
    """
    return list(
        Deadline.objects.filter(
            status=DeadlineStatus.OPEN, next_reminder_at__isnull=False, next_reminder_at__lte=now
        )
        .order_by("next_reminder_at")
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("case__assignee", "case__submitting_officer__user")[:limit]
    )


def reminders_sweep(
    *, now: datetime | None = None, config: SweepConfig | None = None
) -> SweepResult:
    """Act on every due reminder step; returns what was done.

    Runs batches until none is full or the time budget is spent (then ``more`` is set
    and the task queues another run). ``now`` fixes the clock, for tests; by default each
    batch reads the time afresh.
    """
    config = config or SweepConfig.from_settings()
    result = SweepResult()
    run = _Run(
        now=now or timezone.now(),
        steps=ReminderSettings.from_settings(),
        config=config,
        recipients=RecipientCache(),
        result=result,
    )
    started = time.monotonic()
    while True:
        run.now = now or timezone.now()
        with transaction.atomic(durable=True):
            claimed = deadlines_claim(now=run.now, limit=config.batch_size)
            for deadline in claimed:
                _deadline_process(deadline, run)
        result.claimed += len(claimed)
        if len(claimed) < config.batch_size:
            break
        if time.monotonic() - started > config.budget_seconds:
            result.more = True
            break
    heartbeat_record(name=SWEEP_HEARTBEAT)
    return result


def _deadline_process(deadline: Deadline, run: _Run) -> None:
    """Act on every due step of one claimed deadline, in order, then store its schedule."""
    case = deadline.case
    profile = run.steps.profile_for(deadline.kind, emergency=case.emergency)
    sent = 0
    try:
        with transaction.atomic():
            step: Step | None = _current_step(deadline, profile, run.now)
            for _ in range(MAX_STEPS_PER_CLAIM):
                if step is None or step.at > run.now:
                    break
                step, acted = _step_act(deadline, case, profile, step, run)
                sent += acted
            Deadline.objects.filter(pk=deadline.pk).update(
                next_reminder_at=step.at if step else None,
                next_reminder_step=step.code if step else "",
                reminders_sent=deadline.reminders_sent + sent,
                updated_at=run.now,
            )
    except TRANSIENT_DATABASE_ERRORS:
        raise
    except Exception:
        # One broken deadline must not hold up the others, nor be retried every minute.
        logger.exception("reminders: deadline %s failed; retrying later", deadline.pk)
        run.result.failed += 1
        Deadline.objects.filter(pk=deadline.pk).update(
            next_reminder_at=run.now + run.config.retry_after
        )


def _current_step(deadline: Deadline, profile: Profile, now: datetime) -> Step | None:
    """The step the row says is next, at the time the row says (it may have been deferred).

    A row without a known step (written before this schedule existed, by SQL, or naming a
    step the configuration no longer has) starts its schedule now. Escalations missed
    during an outage collapse into the latest one.
    """
    code = deadline.next_reminder_step
    known = profile.step(code, deadline.due_at) if code else None
    if known is None:
        return profile.start(deadline.due_at, now)
    step = Step(known.code, deadline.next_reminder_at or known.at, known.phase)
    if step.phase == Phase.OVERDUE:
        latest = profile.overdue_latest(deadline.due_at, now)
        if latest > step.overdue_number:
            step = profile.overdue_step(deadline.due_at, latest)
    return step


def _step_act(
    deadline: Deadline, case: Case, profile: Profile, step: Step, run: _Run
) -> tuple[Step | None, int]:
    """Act on one due step; returns the following step and how many reminders were recorded."""
    if step.phase == Phase.RELEASE:
        return _release_act(deadline, case, profile, step, run)
    escalate = step.phase == Phase.OVERDUE
    outcome = ReminderOutcome.ESCALATED if escalate else ReminderOutcome.REMINDED
    recorded = _remind(deadline, case, profile, step, outcome, run, escalate=escalate)
    return profile.after(step, deadline.due_at, run.now), int(recorded)


def _release_act(
    deadline: Deadline, case: Case, profile: Profile, step: Step, run: _Run
) -> tuple[Step | None, int]:
    """A hold reaches expiry: release it after the final warning, or escalate."""
    now = run.now
    final = profile.final_warning
    if final is not None:
        warned_at = (
            Reminder.objects.filter(deadline=deadline, deadline_due_at=deadline.due_at, step=final)
            .values_list("sent_at", flat=True)
            .first()
        )
        if warned_at is None:
            # Never warned (the hold arrived already expired, or the steps changed): warn
            # now and release only after the grace period.
            warning = Step(final, step.at, Phase.BEFORE)
            recorded = _remind(deadline, case, profile, warning, ReminderOutcome.REMINDED, run)
            return Step(step.code, now + profile.release_grace, step.phase), int(recorded)
        if warned_at + profile.release_grace > now:
            return Step(step.code, warned_at + profile.release_grace, step.phase), 0
    preservation = (
        Preservation.objects.filter(
            case_id=deadline.case_id, process_id=deadline.process_id, status__in=IN_FORCE
        )
        .order_by("pk")
        .first()
    )
    if preservation is None:
        logger.warning("reminders: deadline %s has no hold in force to release", deadline.pk)
        return profile.after(step, deadline.due_at, now), 0
    result = preservation_expire(preservation=preservation, actor_label=ACTOR_LABEL, now=now)
    if result.outcome == ExpiryOutcome.NOT_DUE:
        preservation.refresh_from_db(fields=["expires_at"])
        return Step(step.code, preservation.expires_at, step.phase), 0
    if result.outcome == ExpiryOutcome.RELEASED:
        run.result.released += 1
        recorded = _remind(
            deadline, case, profile, step, ReminderOutcome.RELEASED, run, escalate=True
        )
        return None, int(recorded)  # the deadline is met: no further steps
    label = str(result.process) if result.process is not None else ""
    recorded = _remind(
        deadline,
        case,
        profile,
        step,
        ReminderOutcome.RELEASE_BLOCKED,
        run,
        escalate=True,
        process_label=label,
    )
    return profile.after(step, deadline.due_at, now), int(recorded)


def _reminder_insert(
    *, deadline: Deadline, step: Step, run: _Run, late: bool, outcome: str, recipients: list[int]
) -> int | None:
    """Insert the step's row; None when it exists already (the step was acted on)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_reminder (deadline_id, step, deadline_due_at, due_at, sent_at, "
            "late, outcome, recipients) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (deadline_id, deadline_due_at, step) DO NOTHING RETURNING id",
            [deadline.pk, step.code, deadline.due_at, step.at, run.now, late, outcome, recipients],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _remind(
    deadline: Deadline,
    case: Case,
    profile: Profile,
    step: Step,
    outcome: str,
    run: _Run,
    *,
    escalate: bool = False,
    process_label: str = "",
) -> bool:
    """Record the step once and notify everyone concerned; False if it was already recorded."""
    now = run.now
    late = now - step.at > run.config.late_after
    recipients = reminder_recipients(
        case=case,
        deadline_kind=deadline.kind,
        phase=step.phase,
        cache=run.recipients,
        escalate=escalate,
    )
    if outcome == ReminderOutcome.RELEASE_BLOCKED:
        recipients = [r for r in recipients if r.audience != Audience.OFFICER]
    reminder_id = _reminder_insert(
        deadline=deadline,
        step=step,
        run=run,
        late=late,
        outcome=outcome,
        recipients=[r.user.pk for r in recipients],
    )
    if reminder_id is None:
        logger.warning("reminders: step %s of deadline %s already sent", step.code, deadline.pk)
        return False
    if not recipients:
        logger.error(
            "reminders: nobody to tell about deadline %s (team %s)", deadline.pk, case.team_id
        )
    urgent = profile.name == "emergency" or step.code == profile.final_warning
    officer = any(r.audience == Audience.OFFICER for r in recipients)
    extensions_left = _extensions_left(deadline) if officer else None
    for recipient in recipients:
        _notify(
            recipient,
            case=case,
            deadline=deadline,
            step=step,
            outcome=outcome,
            late=late,
            urgent=urgent,
            extensions_left=extensions_left,
            process_label=process_label,
            reminder_id=reminder_id,
            now=now,
        )
    run.result.reminders += 1
    run.result.late += int(late)
    run.result.notifications += len(recipients)
    return True


def _notify(recipient: Recipient, *, reminder_id: int, now: datetime, **words) -> None:
    message = reminder_message(recipient=recipient, sent_at=now, **words)
    # The team's webhook is for staff; an officer hears by e-mail and in their portal.
    channels = [Delivery.Channel.EMAIL]
    if recipient.audience != Audience.OFFICER:
        channels.append(Delivery.Channel.WEBHOOK)
    notification_send(
        user=recipient.user,
        subject=message.subject,
        body=message.body,
        url=message.url,
        severity=message.severity,
        kind=message.kind,
        dedupe_key=f"reminder:{reminder_id}",
        channels=channels,
    )


def _extensions_left(deadline: Deadline) -> int | None:
    """How many more times the officer may renew the hold (None: not a preservation)."""
    if deadline.kind != DeadlineKind.PRESERVATION_EXPIRY:
        return None
    preservation = (
        Preservation.objects.filter(case_id=deadline.case_id, process_id=deadline.process_id)
        .select_related("process")
        .order_by("-pk")
        .first()
    )
    if preservation is None:
        return 0
    allowed = MAX_PRESERVATION_EXTENSIONS.get(preservation.process.kind, 0)
    return max(0, allowed - preservation.extension_count)
