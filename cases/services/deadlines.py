"""Deadline rows from the rules: recomputation, the case's next due time, overrides."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.errors import ConcurrentUpdate
from cases.holds import IN_FORCE
from cases.models import (
    Case,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    LegalProcess,
    Preservation,
    ProcessKind,
    TimelineKind,
)
from cases.reminders.steps import reminder_schedule
from cases.rules import (
    CASE_WORK_KINDS,
    MAX_PRESERVATION_EXTENSIONS,
    PRESERVATION_KINDS,
    Clock,
    ComputedDeadline,
    ProcessFacts,
    deadlines_compute,
)
from cases.selectors import CaseAction, case_check, denials_logged
from cases.services.timeline import timeline_event_add
from cases.templatetags.case_ui import when
from portal.audit.services import access_event_record


def process_facts(process: LegalProcess, preservation: Preservation | None = None) -> ProcessFacts:
    """The rules' view of one process; a preservation contributes its extension count."""
    extensions = process.extensions
    if process.kind in PRESERVATION_KINDS:
        extensions = preservation.extension_count if preservation is not None else 0
    return ProcessFacts(
        kind=process.kind,
        received_at=process.received_at,
        country=process.country,
        subdivision=process.subdivision,
        return_date=process.return_date,
        period_ends_on=process.period_ends_on,
        extensions=extensions,
        emergency=process.emergency,
        ndo=process.ndo,
        ndo_expires_on=process.ndo_expires_on,
        foreign_offence=process.foreign_offence,
        enforcing_state_notified=process.enforcing_state_notified,
        reported_at=process.reported_at,
    )


def case_deadlines_recompute(*, case: Case, now: datetime | None = None) -> list[Deadline]:
    """Bring the case's deadline rows in line with the rules; returns the open ones.

    Idempotent. Met deadlines stay met. Work deadlines (``CASE_WORK_KINDS``) are not
    recreated on a case that is no longer open. An overridden deadline keeps its due time;
    only ``original_due_at`` follows the rules. A deadline the rules no longer produce is
    cancelled. The caller holds the transaction.
    """
    now = now or timezone.now()
    clock = Clock.from_settings()
    preservations = {p.process_id: p for p in case.preservations.order_by("pk")}
    rows: dict[tuple[int | None, str], Deadline] = {}
    for row in case.deadlines.order_by("pk"):
        key = (row.process_id, row.kind)
        # prefer the open row when history holds several for one key
        if key not in rows or row.status == DeadlineStatus.OPEN:
            rows[key] = row
    produced: set[tuple[int | None, str]] = set()
    for process in case.processes.order_by("pk"):
        facts = process_facts(process, preservations.get(process.pk))
        for computed in deadlines_compute(facts, clock=clock):
            key = (process.pk, computed.kind)
            produced.add(key)
            _sync_one(case, process, computed, rows.get(key), now)
    for key, row in rows.items():
        if row.status == DeadlineStatus.OPEN and key not in produced:
            row.status = DeadlineStatus.CANCELLED
            row.closed_at = now
            row.save(update_fields=["status", "closed_at", "updated_at"])
    _preservations_sync(case)
    case_next_due_refresh(case=case)
    return list(case.deadlines.filter(status=DeadlineStatus.OPEN).order_by("due_at"))


def _sync_one(
    case: Case,
    process: LegalProcess,
    computed: ComputedDeadline,
    row: Deadline | None,
    now: datetime,
) -> None:
    if row is not None and row.status == DeadlineStatus.MET:
        return
    if computed.kind in CASE_WORK_KINDS and not case.is_open:
        return
    values: dict[str, Any] = {
        "rule_id": computed.rule_id,
        "citation": computed.citation,
        "explanation": computed.explanation,
        "explanation_params": computed.params,
        "needs_legal_review": computed.needs_legal_review,
    }
    if row is None:
        Deadline.objects.create(
            case=case,
            process=process,
            kind=computed.kind,
            due_at=computed.due_at,
            **reminder_schedule(
                kind=computed.kind, due_at=computed.due_at, emergency=case.emergency, now=now
            ),
            **values,
        )
        return
    reschedule = False
    if row.is_overridden:
        values["original_due_at"] = computed.due_at
    elif row.due_at != computed.due_at:
        values["due_at"] = computed.due_at
        reschedule = True
    due = values.get("due_at", row.due_at)
    if row.status == DeadlineStatus.CANCELLED or (
        row.status == DeadlineStatus.MISSED and due > now
    ):
        values["status"] = DeadlineStatus.OPEN
        values["closed_at"] = None
        reschedule = True
    if reschedule:  # the reminder steps start again from the (new) due time
        values.update(
            reminder_schedule(kind=computed.kind, due_at=due, emergency=case.emergency, now=now)
        )
        values["reminders_sent"] = 0
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.save(update_fields=[*changed, "updated_at"])


def _preservations_sync(case: Case) -> None:
    """A hold in force expires when its preservation deadline (maybe overridden) says."""
    expiries = {
        d.process_id: d.due_at
        for d in case.deadlines.filter(
            kind=DeadlineKind.PRESERVATION_EXPIRY, status=DeadlineStatus.OPEN
        )
    }
    for preservation in case.preservations.filter(status__in=IN_FORCE):
        expires = expiries.get(preservation.process_id)
        if expires is not None and preservation.expires_at != expires:
            preservation.expires_at = expires
            preservation.save(update_fields=["expires_at"])


def case_next_due_refresh(*, case: Case) -> datetime | None:
    """Store the nearest open deadline on the case (the queue sorts by it)."""
    nearest = case.deadlines.filter(status=DeadlineStatus.OPEN).aggregate(m=Min("due_at"))["m"]
    Case.objects.filter(pk=case.pk).update(next_due_at=nearest)
    case.next_due_at = nearest
    return nearest


def deadlines_close(
    *, case: Case, kinds: frozenset[str] | set[str], status: str, now: datetime
) -> int:
    """Mark the case's open deadlines of ``kinds`` met or cancelled (workflow effects)."""
    return case.deadlines.filter(status=DeadlineStatus.OPEN, kind__in=kinds).update(
        status=status, closed_at=now, updated_at=now
    )


# Hold kinds whose law sets a maximum (LEGAL.md): an override may not keep records past
# it. The CyberTipline year is a minimum (18 USC 2258A(h)(1)), so it is not capped here.
CAPPED_HOLD_KINDS = PRESERVATION_KINDS - {ProcessKind.CYBERTIPLINE}


def deadline_override_problems(
    *, deadline: Deadline, due_at: datetime, missed: bool, now: datetime
) -> dict[str, str]:
    """Why ``due_at`` is not a plausible new time for ``deadline`` ({} when it is).

    A typo ("1999") must not become a hold that reads "overdue 10197 d" to the officer:
    no time before the process was received; no past time for an open deadline unless the
    supervisor records that it was missed (``missed``); a preservation no later than the
    law's maximum with every extension it allows (``MAX_PRESERVATION_EXTENSIONS``).
    """
    process = deadline.process
    received = process.received_at if process is not None else deadline.case.created_at
    if due_at < received:
        return {
            "due_at": _("The new time is before the process was received (%(received)s).")
            % {"received": when(received)}
        }
    if due_at < now and not missed:
        return {
            "due_at": _(
                "The new time is in the past. If the deadline was missed, tick “The deadline "
                "was missed” and say so in the reason."
            )
        }
    if (
        process is not None
        and deadline.kind == DeadlineKind.PRESERVATION_EXPIRY
        and process.kind in CAPPED_HOLD_KINDS
    ):
        facts = dataclasses.replace(
            process_facts(process), extensions=MAX_PRESERVATION_EXTENSIONS[process.kind]
        )
        limit = next(
            (
                d.due_at
                for d in deadlines_compute(facts, clock=Clock.from_settings())
                if d.kind == DeadlineKind.PRESERVATION_EXPIRY
            ),
            None,
        )
        if limit is not None and due_at > limit:
            return {
                "due_at": _(
                    "The law allows this hold until %(limit)s at most, with every extension; "
                    "legal process served on the records supersedes it instead."
                )
                % {"limit": when(limit)}
            }
    return {}


@denials_logged
def deadline_override(
    *,
    deadline: Deadline,
    due_at: datetime,
    reason: str,
    actor: Any,
    missed: bool = False,
) -> Deadline:
    """Move one open deadline by hand: supervisors only, with a written reason, to a
    plausible time (``deadline_override_problems``).

    The computed time stays in ``original_due_at`` (the first override keeps the rule's
    value; later ones keep it too). Audited with the before and after times.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for moving this deadline.")})
    if timezone.is_naive(due_at):
        raise ValidationError({"due_at": _("Give the new time with its time zone.")})
    with transaction.atomic():
        case = case_check(actor, deadline.case_id, CaseAction.SUPERVISE)
        before = deadline.due_at
        if deadline.status != DeadlineStatus.OPEN:
            raise ValidationError(_("Only an open deadline can be moved."))
        now = timezone.now()
        problems = deadline_override_problems(
            deadline=deadline, due_at=due_at, missed=missed, now=now
        )
        if problems:
            raise ValidationError(problems)
        original = deadline.original_due_at or deadline.due_at
        updated = Deadline.objects.filter(
            pk=deadline.pk, status=DeadlineStatus.OPEN, due_at=before
        ).update(
            due_at=due_at,
            original_due_at=original,
            overridden_by=actor,
            overridden_at=now,
            override_reason=reason,
            reminders_sent=0,
            **reminder_schedule(
                kind=deadline.kind, due_at=due_at, emergency=case.emergency, now=now
            ),
            updated_at=now,
        )
        if updated != 1:
            raise ConcurrentUpdate(
                _("Someone else changed this deadline; reload the case and try again.")
            )
        deadline.refresh_from_db()
        _preservations_sync(case)
        case_next_due_refresh(case=case)
        timeline_event_add(
            case=case,
            kind=TimelineKind.DEADLINE,
            actor=actor,
            message=gettext_noop(
                "Deadline “%(kind)s” moved from %(before)s to %(after)s by override: %(reason)s"
            ),
            params={
                "kind": str(deadline.get_kind_display()),
                "before": before.isoformat(),
                "after": due_at.isoformat(),
                "reason": reason,
            },
        )
        access_event_record(
            action="deadline_override",
            actor=actor,
            obj=deadline,
            case_reference=case.reference,
            details={
                "kind": deadline.kind,
                "before": before.isoformat(),
                "after": due_at.isoformat(),
                "original": original.isoformat(),
                "missed": missed,
            },
        )
    return deadline
