"""The reminder sweep: act on every reminder step whose time has come, exactly once.

State-based: the only input is the ``Deadline`` rows (``next_reminder_at`` and
``next_reminder_step``), so a sweep that did not run for hours (beat or every worker down)
finds every step it missed on its next run and sends them, in order, marked late.

One run claims due deadlines in small batches, soonest first, with ``SELECT ... FOR
UPDATE SKIP LOCKED`` on the partial index ``cases_deadline_reminder_due``: concurrent runs
(two workers, a retry, a catch-up run) take different rows and never wait on each other.
For each batch, in one transaction:

1. plan every due step of every claimed deadline (who hears what), releasing lapsed holds
   through ``preservation_expire`` on the way;
2. insert one ``Reminder`` row per step (unique per deadline, due time and step; a row
   that exists already means the step was acted on, and it is not sent again);
3. create the notifications of the new rows with the key ``reminder:<row id>``
   (``notifications_send``); their e-mail and webhook deliveries are queued when the
   transaction commits, and never if it rolls back;
4. move each deadline's ``next_reminder_at``/``next_reminder_step`` to its next step.

A worker killed half way leaves an open transaction that PostgreSQL rolls back: no row,
no notification, no queued delivery, and the schedule unchanged, so the next run does the
same work again. (Killed after its COMMIT but before the on-commit hooks ran, the rows
are in and the deliveries pending: the notifications' redrive queues them.) If anything
in a batch raises, the batch is rolled back and redone one deadline at a time, each in a
savepoint, so a broken deadline is put back a few minutes without holding up the rest;
database outages propagate for the task's retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone

from cases.holds import IN_FORCE, hold_extensions_left
from cases.models import (
    Case,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Preservation,
    Reminder,
    ReminderOutcome,
)
from cases.reminders.messages import Message, reminder_message
from cases.reminders.recipients import Audience, Recipient, RecipientCache, reminder_recipients
from cases.reminders.steps import Phase, Profile, ReminderSettings, Step
from cases.services.preservations import ExpiryOutcome, preservation_expire
from portal.notifications.models import Delivery
from portal.notifications.services import Outgoing, heartbeat_record, notifications_send

logger = logging.getLogger(__name__)

SWEEP_HEARTBEAT = "reminders_sweep"
ACTOR_LABEL = "task:cases.reminders_sweep"
# Steps acted on per deadline per claim; a deadline has a handful, this only bounds a bug.
MAX_STEPS_PER_CLAIM = 32
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


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

    def add(self, other: SweepResult) -> None:
        for name in ("reminders", "late", "notifications", "released", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Run:
    """What one sweep run shares between batches."""

    now: datetime
    steps: ReminderSettings
    config: SweepConfig
    recipients: RecipientCache


@dataclass
class _Action:
    """One step to record and announce."""

    deadline: Deadline
    step: Step
    outcome: str
    late: bool
    recipients: list[Recipient]
    messages: list[Message]
    reminder_id: int | None = None


@dataclass
class _Plan:
    """What a claimed deadline needs: its due steps, then its next one."""

    deadline: Deadline
    actions: list[_Action] = field(default_factory=list)
    next_step: Step | None = None
    released: bool = False


def deadlines_due(*, now: datetime) -> QuerySet[Deadline]:
    """The claim's query: open deadlines whose next step is due, soonest first, locked
    ``SKIP LOCKED``. Repeats the partial index's condition so PostgreSQL can use it."""
    return (
        Deadline.objects.filter(
            status=DeadlineStatus.OPEN, next_reminder_at__isnull=False, next_reminder_at__lte=now
        )
        .order_by("next_reminder_at")
        .select_for_update(skip_locked=True)
    )


def deadlines_claim(*, now: datetime, limit: int) -> list[Deadline]:
    """Lock up to ``limit`` open deadlines whose next step is due, soonest first.

    One range scan of the partial index ``cases_deadline_reminder_due``; rows another
    sweep holds are skipped, not waited for. Only the deadline rows are locked, and the
    query joins nothing, so the idle tick (every minute, mostly nothing due) stays a
    fraction of a millisecond to plan and run; the claimed rows' cases come after.
    """
    claimed = list(deadlines_due(now=now)[:limit])
    if claimed:
        prefetch_related_objects(claimed, "case__assignee", "case__submitting_officer__user")
    return claimed


def reminders_sweep(
    *,
    now: datetime | None = None,
    config: SweepConfig | None = None,
    on_backlog: Callable[[], None] | None = None,
) -> SweepResult:
    """Act on every due reminder step; returns what was done.

    Runs batches until none is full or the time budget is spent (then ``more`` is set
    and the task queues another run). When the first batch is full there is a backlog
    (an outage, a burst): ``on_backlog`` is called once, and the task uses it to start a
    second sweep at once, which claims other rows; each sweep that finds a backlog starts
    one more, so a large backlog is shared by every free worker. ``now`` fixes the clock,
    for tests; by default each batch reads the time afresh.
    """
    config = config or SweepConfig.from_settings()
    result = SweepResult()
    run = _Run(
        now=now or timezone.now(),
        steps=ReminderSettings.from_settings(),
        config=config,
        recipients=RecipientCache(),
    )
    started = time.monotonic()
    while True:
        run.now = now or timezone.now()
        with transaction.atomic(durable=True):
            claimed = deadlines_claim(now=run.now, limit=config.batch_size)
            result.add(_batch_settle(claimed, run))
        first = result.claimed == 0
        result.claimed += len(claimed)
        if len(claimed) < config.batch_size:
            break
        if first and on_backlog is not None:
            on_backlog()
        if time.monotonic() - started > config.budget_seconds:
            result.more = True
            break
    heartbeat_record(name=SWEEP_HEARTBEAT)
    return result


def _batch_settle(claimed: list[Deadline], run: _Run) -> SweepResult:
    """The whole batch at once; if anything fails, again one deadline at a time."""
    if not claimed:
        return SweepResult()
    try:
        with transaction.atomic():
            return _batch_process(claimed, run)
    except TRANSIENT_DATABASE_ERRORS:
        raise
    except Exception:
        logger.warning("reminders: a batch of %d failed; one by one now", len(claimed))
    result = SweepResult()
    for deadline in claimed:
        try:
            with transaction.atomic():
                result.add(_batch_process([deadline], run))
        except TRANSIENT_DATABASE_ERRORS:
            raise
        except Exception:
            # One broken deadline must not hold up the others, nor be retried every minute.
            logger.exception("reminders: deadline %s failed; retrying later", deadline.pk)
            result.failed += 1
            Deadline.objects.filter(pk=deadline.pk).update(
                next_reminder_at=run.now + run.config.retry_after
            )
    return result


def _batch_process(deadlines: list[Deadline], run: _Run) -> SweepResult:
    plans = [_plan(deadline, run) for deadline in deadlines]
    actions = [action for plan in plans for action in plan.actions]
    _reminders_insert(actions, run)
    outgoing = [
        Outgoing(
            user=recipient.user,
            subject=message.subject,
            body=message.body,
            url=message.url,
            severity=message.severity,
            kind=message.kind,
            dedupe_key=f"reminder:{action.reminder_id}",
            # The team's webhook is for staff; an officer hears by e-mail and in the portal.
            channels=(Delivery.Channel.EMAIL,)
            if recipient.audience == Audience.OFFICER
            else (Delivery.Channel.EMAIL, Delivery.Channel.WEBHOOK),
        )
        for action in actions
        if action.reminder_id is not None
        for recipient, message in zip(action.recipients, action.messages, strict=True)
    ]
    notifications_send(outgoing=outgoing)
    _schedules_store(plans, run)
    recorded = [action for action in actions if action.reminder_id is not None]
    return SweepResult(
        reminders=len(recorded),
        late=sum(action.late for action in recorded),
        notifications=len(outgoing),
        released=sum(plan.released for plan in plans),
    )


# --- planning one deadline ---------------------------------------------------------------


def _plan(deadline: Deadline, run: _Run) -> _Plan:
    """Every due step of one deadline, in order, and the step after them."""
    profile = run.steps.profile_for(deadline.kind, emergency=deadline.case.emergency)
    plan = _Plan(deadline)
    step = _current_step(deadline, profile, run.now)
    for _ in range(MAX_STEPS_PER_CLAIM):
        if step is None or step.at > run.now:
            break
        if step.phase == Phase.RELEASE:
            step = _release_plan(plan, profile, step, run)
            continue
        escalate = step.phase == Phase.OVERDUE
        outcome = ReminderOutcome.ESCALATED if escalate else ReminderOutcome.REMINDED
        plan.actions.append(_action(deadline, profile, step, outcome, run, escalate=escalate))
        step = profile.after(step, deadline.due_at, run.now)
    plan.next_step = step
    return plan


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


def _release_plan(plan: _Plan, profile: Profile, step: Step, run: _Run) -> Step | None:
    """A hold reaches expiry: release it after the final warning, or escalate."""
    deadline, now = plan.deadline, run.now
    final = profile.final_warning
    if final is not None:
        warned_at = _warned_at(plan, final, now)
        if warned_at is None:
            # Never warned (the hold arrived already expired, or the steps changed): warn
            # now and release only after the grace period.
            warning = Step(final, step.at, Phase.BEFORE)
            plan.actions.append(_action(deadline, profile, warning, ReminderOutcome.REMINDED, run))
            return Step(step.code, now + profile.release_grace, step.phase)
        if warned_at + profile.release_grace > now:
            return Step(step.code, warned_at + profile.release_grace, step.phase)
    preservation = (
        Preservation.objects.filter(
            case_id=deadline.case_id, process_id=deadline.process_id, status__in=IN_FORCE
        )
        .order_by("pk")
        .first()
    )
    if preservation is None:
        logger.warning("reminders: deadline %s has no hold in force to release", deadline.pk)
        return profile.after(step, deadline.due_at, now)
    result = preservation_expire(preservation=preservation, actor_label=ACTOR_LABEL, now=now)
    if result.outcome == ExpiryOutcome.NOT_DUE:
        preservation.refresh_from_db(fields=["expires_at"])
        return Step(step.code, preservation.expires_at, step.phase)
    if result.outcome == ExpiryOutcome.RELEASED:
        plan.released = True
        plan.actions.append(
            _action(deadline, profile, step, ReminderOutcome.RELEASED, run, escalate=True)
        )
        return None  # the deadline is met: no further steps
    plan.actions.append(
        _action(
            deadline,
            profile,
            step,
            ReminderOutcome.RELEASE_BLOCKED,
            run,
            escalate=True,
            process_label=str(result.process) if result.process is not None else "",
        )
    )
    return profile.after(step, deadline.due_at, now)


def _warned_at(plan: _Plan, final: str, now: datetime) -> datetime | None:
    """When the final warning went out: in this very run, or in an earlier one."""
    if any(action.step.code == final for action in plan.actions):
        return now
    deadline = plan.deadline
    return (
        Reminder.objects.filter(deadline=deadline, deadline_due_at=deadline.due_at, step=final)
        .values_list("sent_at", flat=True)
        .first()
    )


def _action(
    deadline: Deadline,
    profile: Profile,
    step: Step,
    outcome: str,
    run: _Run,
    *,
    escalate: bool = False,
    process_label: str = "",
) -> _Action:
    """Who hears of one step, and each recipient's message."""
    case: Case = deadline.case
    late = run.now - step.at > run.config.late_after
    recipients = reminder_recipients(
        case=case,
        deadline_kind=deadline.kind,
        phase=step.phase,
        cache=run.recipients,
        escalate=escalate,
    )
    if outcome == ReminderOutcome.RELEASE_BLOCKED:
        recipients = [r for r in recipients if r.audience != Audience.OFFICER]
    if not recipients:
        logger.error(
            "reminders: nobody to tell about deadline %s (team %s)", deadline.pk, case.team_id
        )
    officer = any(r.audience == Audience.OFFICER for r in recipients)
    extensions_left = _extensions_left(deadline) if officer else None
    urgent = profile.name == "emergency" or step.code == profile.final_warning
    messages = [
        reminder_message(
            recipient=recipient,
            case=case,
            deadline=deadline,
            step=step,
            outcome=outcome,
            sent_at=run.now,
            late=late,
            urgent=urgent,
            extensions_left=extensions_left,
            process_label=process_label,
        )
        for recipient in recipients
    ]
    return _Action(deadline, step, outcome, late, recipients, messages)


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
    return hold_extensions_left(preservation)


# --- the batch's writes ----------------------------------------------------------------


def _reminders_insert(actions: list[_Action], run: _Run) -> None:
    """One INSERT for every step of the batch; sets ``reminder_id`` on the new ones.

    A step whose row exists already (it was acted on: only possible if the deadline's
    lock was somehow bypassed) gets no id, and so no notification.
    """
    if not actions:
        return
    columns: list[list[object]] = [[] for _ in range(6)]
    for action in actions:
        row = (
            action.deadline.pk,
            action.step.code,
            action.deadline.due_at,
            action.step.at,
            action.late,
            action.outcome,
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    recipients = [
        "{" + ",".join(str(r.user.pk) for r in action.recipients) + "}" for action in actions
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_reminder (deadline_id, step, deadline_due_at, due_at, sent_at, "
            "late, outcome, recipients) "
            "SELECT deadline_id, step, deadline_due_at, due_at, %s, late, outcome, "
            "recipients::bigint[] FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], "
            "%s::timestamptz[], %s::boolean[], %s::text[], %s::text[]) "
            "AS v(deadline_id, step, deadline_due_at, due_at, late, outcome, recipients) "
            "ON CONFLICT (deadline_id, deadline_due_at, step) DO NOTHING "
            "RETURNING id, deadline_id, step",
            [run.now, *columns, recipients],
        )
        inserted = {(deadline_id, step): pk for pk, deadline_id, step in cursor.fetchall()}
    for action in actions:
        action.reminder_id = inserted.get((action.deadline.pk, action.step.code))
        if action.reminder_id is None:
            logger.warning(
                "reminders: step %s of deadline %s already sent",
                action.step.code,
                action.deadline.pk,
            )


def _schedules_store(plans: list[_Plan], run: _Run) -> None:
    """One UPDATE moving every claimed deadline to its next step."""
    ids, times, codes, sent = [], [], [], []
    for plan in plans:
        step = plan.next_step
        ids.append(plan.deadline.pk)
        times.append(step.at if step else None)
        codes.append(step.code if step else "")
        sent.append(sum(action.reminder_id is not None for action in plan.actions))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_deadline AS d SET next_reminder_at = v.at, next_reminder_step = v.step, "
            "reminders_sent = d.reminders_sent + v.sent, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::integer[]) "
            "AS v(id, at, step, sent) WHERE d.id = v.id",
            [run.now, ids, times, codes, sent],
        )
