"""Preservation holds: extension on a renewed request, release, supersession."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.errors import ConcurrentUpdate
from cases.holds import IN_FORCE, hold_can_extend, hold_extensions_allowed, hold_in_force
from cases.models import (
    DeadlineKind,
    DeadlineStatus,
    LegalProcess,
    Preservation,
    PreservationStatus,
    TimelineKind,
)
from cases.policy import gate_action
from cases.rules import PRESERVATION_KINDS
from cases.selectors import CaseAction, case_check, denials_logged
from cases.services.deadlines import case_deadlines_recompute
from cases.services.timeline import timeline_event_add
from portal.audit.services import access_event_record


@denials_logged
def preservation_extend(
    *,
    preservation: Preservation,
    actor: Any,
    note: str = "",
) -> Preservation:
    """Extend a hold on a renewed request, as far as its rule allows.

    18 USC 2703(f)(2): one further 90 days (180 in all); EU 2023/1543 Art. 11: 30 more
    days; the other kinds need new process instead. The new expiry comes from the rules.
    """
    with transaction.atomic():
        case = case_check(actor, preservation.case_id, gate_action(actor))
        before = preservation.expires_at
        count = preservation.extension_count
        if not hold_in_force(preservation):
            raise ValidationError(_("Only a hold in force can be extended."))
        if not hold_can_extend(preservation):
            allowed = hold_extensions_allowed(preservation)
            raise ValidationError(
                _("This hold cannot be extended further (%(allowed)s extension(s) allowed).")
                % {"allowed": allowed}
            )
        updated = Preservation.objects.filter(
            pk=preservation.pk, extension_count=count, status__in=IN_FORCE
        ).update(extension_count=count + 1, status=PreservationStatus.EXTENDED)
        if updated != 1:
            raise ConcurrentUpdate(_("Someone else changed this hold; reload the case."))
        # A renewed request restarts the rule's clock: an earlier override of the expiry no
        # longer applies (the access log keeps it).
        case.deadlines.filter(
            process_id=preservation.process_id,
            kind=DeadlineKind.PRESERVATION_EXPIRY,
            status=DeadlineStatus.OPEN,
        ).update(overridden_by=None, overridden_at=None, override_reason="", original_due_at=None)
        case_deadlines_recompute(case=case)
        preservation.refresh_from_db()
        timeline_event_add(
            case=case,
            kind=TimelineKind.PRESERVATION,
            actor=actor,
            public=True,
            message=gettext_noop("Preservation extended until %(after)s. %(note)s"),
            params={"after": preservation.expires_at.isoformat(), "note": (note or "").strip()},
        )
        access_event_record(
            action="preservation_extend",
            actor=actor,
            obj=preservation,
            case_reference=case.reference,
            details={
                "before": before.isoformat(),
                "after": preservation.expires_at.isoformat(),
                "extensions": count + 1,
            },
        )
    return preservation


@denials_logged
def preservation_release(
    *,
    preservation: Preservation,
    actor: Any,
    reason: str,
    superseded_by: LegalProcess | None = None,
) -> Preservation:
    """End a hold: released (expired, withdrawn) or superseded by legal process.

    Its expiry deadline is met: the hold no longer needs a decision.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the hold ends.")})
    if superseded_by is not None and superseded_by.case_id != preservation.case_id:
        raise ValidationError({"superseded_by": _("Choose legal process of the same case.")})
    now = timezone.now()
    status = PreservationStatus.SUPERSEDED if superseded_by else PreservationStatus.RELEASED
    with transaction.atomic():
        case = case_check(actor, preservation.case_id, CaseAction.WORK)
        updated = Preservation.objects.filter(pk=preservation.pk, status__in=IN_FORCE).update(
            status=status, released_at=now, released_by=actor, superseded_by=superseded_by
        )
        if updated != 1:
            raise ConcurrentUpdate(_("This hold has already ended; reload the case."))
        case.deadlines.filter(
            process_id=preservation.process_id,
            kind=DeadlineKind.PRESERVATION_EXPIRY,
            status=DeadlineStatus.OPEN,
        ).update(status=DeadlineStatus.MET, closed_at=now, updated_at=now)
        case_deadlines_recompute(case=case)
        preservation.refresh_from_db()
        if superseded_by is not None:
            message = gettext_noop("Preservation superseded by legal process: %(reason)s")
        else:
            message = gettext_noop("Preservation released: %(reason)s")
        timeline_event_add(
            case=case,
            kind=TimelineKind.PRESERVATION,
            actor=actor,
            public=True,
            message=message,
            params={"reason": reason},
        )
        access_event_record(
            action="preservation_release",
            actor=actor,
            obj=preservation,
            case_reference=case.reference,
            details={
                "status": status,
                "superseded_by": superseded_by.pk if superseded_by else None,
            },
        )
    return preservation


class ExpiryOutcome(StrEnum):
    RELEASED = "released"
    HELD_FOR_PROCESS = "held_for_process"  # legal process on the case: a person decides
    NOT_DUE = "not_due"
    NOT_IN_FORCE = "not_in_force"


@dataclass(frozen=True)
class ExpiryResult:
    outcome: ExpiryOutcome
    process: LegalProcess | None = None


def preservation_expire(
    *, preservation: Preservation, actor_label: str, now: datetime | None = None
) -> ExpiryResult:
    """Release a hold that reached its expiry without extension or superseding process.

    No person acts: the reminder sweep calls this after the final warning, and the access
    log names the task (``actor_label``). 18 USC 2703(f)(2) and the other preservation
    rules oblige the provider to keep the records until expiry, not after; releasing on
    time is the promise the rules module makes (LEGAL.md). A hold whose case also holds
    legal process that compels production (a warrant, an order served after the request)
    is not released even if nobody marked it superseded: deleting that evidence cannot be
    undone, so a person decides and the caller escalates.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Preservation.objects.select_for_update()
            .select_related("case")
            .filter(pk=preservation.pk, status__in=IN_FORCE)
            .first()
        )
        if locked is None:
            return ExpiryResult(ExpiryOutcome.NOT_IN_FORCE)
        if locked.expires_at > now:
            return ExpiryResult(ExpiryOutcome.NOT_DUE)
        process = (
            LegalProcess.objects.filter(case_id=locked.case_id)
            .exclude(kind__in=PRESERVATION_KINDS)
            .order_by("received_at", "pk")
            .first()
        )
        if process is not None:
            return ExpiryResult(ExpiryOutcome.HELD_FOR_PROCESS, process)
        case = locked.case
        Preservation.objects.filter(pk=locked.pk).update(
            status=PreservationStatus.RELEASED, released_at=now, released_by=None
        )
        case.deadlines.filter(
            process_id=locked.process_id,
            kind=DeadlineKind.PRESERVATION_EXPIRY,
            status=DeadlineStatus.OPEN,
        ).update(status=DeadlineStatus.MET, closed_at=now, updated_at=now)
        case_deadlines_recompute(case=case, now=now)
        timeline_event_add(
            case=case,
            kind=TimelineKind.PRESERVATION,
            public=True,
            message=gettext_noop(
                "Preservation released automatically on expiry (%(expired)s): no extension "
                "or superseding legal process."
            ),
            params={"expired": locked.expires_at.isoformat()},
        )
        access_event_record(
            action="preservation_release",
            actor_label=actor_label,
            obj=locked,
            case_reference=case.reference,
            details={
                "status": PreservationStatus.RELEASED,
                "automatic": True,
                "expired_at": locked.expires_at.isoformat(),
            },
        )
    return ExpiryResult(ExpiryOutcome.RELEASED)
