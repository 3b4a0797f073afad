"""The case state machine: ONE transition table and the one function that moves a case.

Each ``Transition`` names where it goes from and to, the roles that may take it, whether
it needs a written reason, how many distinct approvers it needs, a guard, and its side
effects on deadlines. ``case_transition`` is compare-and-set: the UPDATE only matches the
row while it still has the status the user saw, so two responders can never both move a
case; the loser gets ``ConcurrentUpdate`` ("someone else moved this case").

Emergency path: received -> emergency_review -> approved (two distinct approvers, 18 USC
2702(b)(8) voluntary disclosure on good-faith belief of danger) -> collecting ->
ready_to_disclose -> disclosed. The first approval is recorded and the case waits for a
second, different person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases.errors import CaseNotFound, ConcurrentUpdate
from cases.extensions import transition_effects, transition_refusal
from cases.models import (
    OPEN_STATUSES,
    Approval,
    Case,
    CaseStatus,
    CaseType,
    DeadlineKind,
    DeadlineStatus,
    TimelineKind,
)
from cases.policy import (
    CASE_STAFF,
    CASE_TYPE_WORKERS,
    CASE_WORKERS,
    DECIDERS,
    SUPERVISORS,
    gate_action,
)
from cases.rules import CASE_WORK_KINDS
from cases.selectors import cases_visible_to
from cases.services.deadlines import case_deadlines_recompute, deadlines_close
from cases.services.timeline import timeline_event_add
from portal.accounts.roles import Role, user_roles
from portal.audit.denials import denial_record
from portal.audit.services import access_event_record

S = CaseStatus
D = DeadlineKind

EMERGENCY_APPROVERS_REQUIRED = 2


@dataclass(frozen=True)
class Effect:
    """Close the case's open deadlines of ``kinds`` as ``status`` (met or cancelled)."""

    kinds: frozenset[str]
    status: str


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: Any  # the button text
    roles: frozenset[Role]
    reason_required: bool = False
    approvals: int = 0  # distinct approvers needed before the move happens
    guard: Callable[[Case], str] | None = None  # returns why not, or ""
    effects: tuple[Effect, ...] = ()
    public: bool = True  # officers of the agency see the timeline event
    reopen: bool = False  # back from closed: deadlines are recomputed
    closes: bool = False  # sets closed_at

    @property
    def name(self) -> str:
        return f"{self.source}__{self.target}"


def _emergency_only(case: Case) -> str:
    return "" if case.emergency else _("Only an emergency request takes the emergency path.")


def _emergency_approved(case: Case) -> str:
    if not case.emergency:
        return ""
    approvers = case.approvals.filter(purpose=Approval.Purpose.EMERGENCY_DISCLOSURE).count()
    if approvers >= EMERGENCY_APPROVERS_REQUIRED:
        return ""
    return _("An emergency disclosure needs the approval of two different people first.")


def _request_only(case: Case) -> str:
    """Steps that speak to a requesting agency (ask it for information, its withdrawal)
    have no one to speak to on a child-safety incident, which the platform found itself."""
    if case.case_type == CaseType.REQUEST:
        return ""
    return _("Only a law-enforcement request has an agency to ask or to withdraw it.")


def _child_safety_only(case: Case) -> str:
    if case.case_type == CaseType.CHILD_SAFETY:
        return ""
    return _("Only a child-safety incident is closed this way.")


FIRST_DECISION_MET = Effect(frozenset({D.FIRST_DECISION}), DeadlineStatus.MET)
ANSWERED = Effect(
    frozenset({D.RESPONSE, D.FIRST_DECISION, D.REPORT, D.BACKUP_COPY, D.REFUSAL_WINDOW}),
    DeadlineStatus.MET,
)
WORK_CANCELLED = Effect(CASE_WORK_KINDS, DeadlineStatus.CANCELLED)
WITHDRAWABLE = tuple(s for s in OPEN_STATUSES)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.RECEIVED, S.TRIAGE, gettext_lazy("Start triage"), CASE_STAFF),
    Transition(
        S.RECEIVED,
        S.EMERGENCY_REVIEW,
        gettext_lazy("Emergency review"),
        CASE_STAFF,
        guard=_emergency_only,
    ),
    Transition(
        S.TRIAGE,
        S.EMERGENCY_REVIEW,
        gettext_lazy("Emergency review"),
        CASE_STAFF,
        guard=_emergency_only,
    ),
    Transition(
        S.EMERGENCY_REVIEW,
        S.APPROVED,
        gettext_lazy("Approve emergency disclosure"),
        CASE_STAFF,
        approvals=EMERGENCY_APPROVERS_REQUIRED,
        effects=(FIRST_DECISION_MET,),
    ),
    Transition(
        S.EMERGENCY_REVIEW,
        S.REJECTED,
        gettext_lazy("Reject"),
        CASE_STAFF,
        reason_required=True,
        effects=(ANSWERED, WORK_CANCELLED),
    ),
    Transition(
        S.EMERGENCY_REVIEW,
        S.TRIAGE,
        gettext_lazy("Not an emergency: triage normally"),
        CASE_STAFF,
        reason_required=True,
        effects=(FIRST_DECISION_MET,),
    ),
    Transition(
        S.TRIAGE,
        S.NEEDS_INFO,
        gettext_lazy("Ask for information"),
        CASE_STAFF,
        reason_required=True,
        guard=_request_only,
    ),
    # Officers take it by answering the question in the conversation (cases.conversation).
    Transition(
        S.NEEDS_INFO, S.TRIAGE, gettext_lazy("Information received"), CASE_STAFF | {Role.OFFICER}
    ),
    Transition(S.TRIAGE, S.LEGAL_REVIEW, gettext_lazy("Send to legal review"), CASE_STAFF),
    Transition(
        S.TRIAGE,
        S.REJECTED,
        gettext_lazy("Reject"),
        DECIDERS,
        reason_required=True,
        effects=(ANSWERED, WORK_CANCELLED),
    ),
    Transition(S.LEGAL_REVIEW, S.APPROVED, gettext_lazy("Approve"), DECIDERS),
    Transition(
        S.LEGAL_REVIEW,
        S.NEEDS_INFO,
        gettext_lazy("Ask for information"),
        DECIDERS,
        reason_required=True,
    ),
    Transition(
        S.LEGAL_REVIEW,
        S.REJECTED,
        gettext_lazy("Reject"),
        DECIDERS,
        reason_required=True,
        effects=(ANSWERED, WORK_CANCELLED),
    ),
    Transition(S.APPROVED, S.COLLECTING, gettext_lazy("Start collecting"), CASE_WORKERS),
    Transition(S.COLLECTING, S.READY_TO_DISCLOSE, gettext_lazy("Ready to disclose"), CASE_WORKERS),
    Transition(
        S.READY_TO_DISCLOSE,
        S.COLLECTING,
        gettext_lazy("Back to collecting"),
        CASE_STAFF,
        reason_required=True,
        public=False,
    ),
    Transition(
        S.READY_TO_DISCLOSE,
        S.DISCLOSED,
        gettext_lazy("Mark disclosed"),
        CASE_STAFF,
        guard=_emergency_approved,
        effects=(ANSWERED,),
    ),
    *(
        Transition(
            source,
            S.WITHDRAWN,
            gettext_lazy("Withdrawn by the agency"),
            CASE_STAFF | {Role.OFFICER},
            reason_required=True,
            guard=_request_only,
            effects=(WORK_CANCELLED,),
        )
        for source in WITHDRAWABLE
    ),
    # A child-safety incident that review finds is no apparent violation (18 USC 2258A(a)
    # requires a report of apparent child sexual abuse material only): closed with the
    # analyst's reason; a report duty it had is cancelled.
    Transition(
        S.TRIAGE,
        S.CLOSED,
        gettext_lazy("Close: nothing to report"),
        CASE_TYPE_WORKERS[CaseType.CHILD_SAFETY],
        reason_required=True,
        guard=_child_safety_only,
        effects=(WORK_CANCELLED,),
        closes=True,
    ),
    Transition(
        S.DISCLOSED,
        S.CLOSED,
        gettext_lazy("Close"),
        CASE_STAFF,
        effects=(WORK_CANCELLED,),
        closes=True,
    ),
    Transition(
        S.REJECTED,
        S.CLOSED,
        gettext_lazy("Close"),
        CASE_STAFF,
        effects=(WORK_CANCELLED,),
        closes=True,
    ),
    Transition(
        S.WITHDRAWN,
        S.CLOSED,
        gettext_lazy("Close"),
        CASE_STAFF,
        effects=(WORK_CANCELLED,),
        closes=True,
    ),
    Transition(
        S.CLOSED,
        S.TRIAGE,
        gettext_lazy("Reopen"),
        SUPERVISORS,
        reason_required=True,
        reopen=True,
    ),
)
TRANSITIONS_BY_KEY: dict[tuple[str, str], Transition] = {
    (t.source, t.target): t for t in TRANSITIONS
}
assert len(TRANSITIONS_BY_KEY) == len(TRANSITIONS), "one transition per (source, target)"


@dataclass
class TransitionResult:
    """What ``case_transition`` did: moved, or recorded an approval and waits for more."""

    case: Case
    moved: bool
    approvals: list[str] = field(default_factory=list)


def transition_get(source: str, target: str) -> Transition | None:
    return TRANSITIONS_BY_KEY.get((source, target))


def transitions_available(case: Case, user: Any) -> list[Transition]:
    """The transitions ``user`` may take from the case's current status (the buttons)."""
    roles = user_roles(user)
    found = []
    for transition in TRANSITIONS:
        if transition.source != case.status or not roles & transition.roles:
            continue
        if transition_blocked(case, transition):
            continue
        if transition.approvals and _approved_by(case, user):
            continue  # their approval counts once (``_approve``); a second person must act
        found.append(transition)
    return found


def _approved_by(case: Case, user: Any) -> bool:
    purpose = Approval.Purpose.EMERGENCY_DISCLOSURE
    return case.approvals.filter(purpose=purpose, approver=user).exists()


def transition_blocked(case: Case, transition: Transition) -> str:
    """Why ``transition`` cannot be taken on ``case`` now: the table's guard first, then
    the guards other apps registered (cases.extensions); "" when nothing stands in the way."""
    if transition.guard:
        problem = transition.guard(case)
        if problem:
            return problem
    return transition_refusal(case, transition.source, transition.target)


def case_transition(
    *,
    case: Case,
    to_status: str,
    actor: Any,
    reason: str = "",
    expected_status: str | None = None,
) -> TransitionResult:
    """Move ``case`` to ``to_status`` if the table allows it for ``actor``.

    ``expected_status`` is the status the user saw (default: ``case.status`` as loaded);
    if the row has moved on since, nothing changes and ``ConcurrentUpdate`` is raised.
    A transition that needs approvals records the actor's approval and moves only when
    enough distinct people have approved. Writes a timeline event and an access event.
    """
    expected = expected_status or case.status
    reason = (reason or "").strip()
    transition = transition_get(expected, to_status)
    roles = user_roles(actor)
    if transition is None:
        raise ValidationError(
            {
                "to_status": _("A case cannot go from “%(source)s” to “%(target)s”.")
                % {"source": _label(expected), "target": _label(to_status)}
            }
        )
    visible = cases_visible_to(actor, gate_action(actor)).filter(pk=case.pk)
    # Refusals are checked (and logged) before the transaction, so the log entry survives.
    if not visible.exists():
        _record_denied(actor, case, transition, "not_visible")
        raise CaseNotFound
    if not roles & transition.roles:
        _record_denied(actor, case, transition, "role")
        raise ValidationError(
            {
                "to_status": _("Your role may not take this step (“%(label)s”).")
                % {"label": transition.label}
            }
        )
    with transaction.atomic():
        queryset = visible
        if transition.approvals:  # approvals are counted: serialise approvers on the row
            queryset = queryset.select_for_update(of=("self",))
        current = queryset.first()
        if current is None:  # moved to another team since the check above
            raise CaseNotFound
        if current.status != expected:
            raise _moved(current)
        if transition.reason_required and not reason:
            raise ValidationError({"reason": _("Give a reason for this step.")})
        problem = transition_blocked(current, transition)
        if problem:
            raise ValidationError({"to_status": problem})
        approvers: list[str] = []
        if transition.approvals:
            approvers = _approve(current, actor)
            if len(approvers) < transition.approvals:
                return TransitionResult(case=current, moved=False, approvals=approvers)
        now = timezone.now()
        changes: dict[str, Any] = {"status": to_status, "status_changed_at": now, "updated_at": now}
        if transition.closes:
            changes["closed_at"] = now
        if transition.reopen:
            changes["closed_at"] = None
        updated = Case.objects.filter(pk=current.pk, status=expected).update(**changes)
        if updated != 1:
            current.refresh_from_db(fields=["status"])
            raise _moved(current)
        current.refresh_from_db()
        for effect in transition.effects:
            deadlines_close(case=current, kinds=effect.kinds, status=effect.status, now=now)
        case_deadlines_recompute(case=current, now=now)
        for effect_fn in transition_effects(expected, to_status):
            effect_fn(case=current, actor=actor, now=now, reason=reason)
        timeline_event_add(
            case=current,
            kind=TimelineKind.TRANSITION,
            actor=actor,
            public=transition.public,
            message=(
                gettext_noop("Status changed from %(source)s to %(target)s: %(reason)s")
                if reason
                else gettext_noop("Status changed from %(source)s to %(target)s.")
            ),
            params={
                "source": _label(expected, english=True),
                "target": _label(to_status, english=True),
                "reason": reason,
            },
        )
        access_event_record(
            action="transition",
            actor=actor,
            obj=current,
            case_reference=current.reference,
            details={"from": expected, "to": to_status, "approvers": approvers},
        )
    return TransitionResult(case=current, moved=True, approvals=approvers)


def _approve(case: Case, actor: Any) -> list[str]:
    """Record ``actor``'s approval once; return every approver so far (usernames)."""
    purpose = Approval.Purpose.EMERGENCY_DISCLOSURE
    if case.approvals.filter(purpose=purpose, approver=actor).exists():
        raise ValidationError(
            {"to_status": _("You have already approved; a second, different person must.")}
        )
    try:
        with transaction.atomic():
            Approval.objects.create(case=case, approver=actor, purpose=purpose, at=timezone.now())
    except IntegrityError as exc:  # the same person in two tabs at once
        raise ValidationError(
            {"to_status": _("You have already approved; a second, different person must.")}
        ) from exc
    approvers = list(
        case.approvals.filter(purpose=purpose)
        .order_by("at", "pk")
        .values_list("approver__username", flat=True)
    )
    timeline_event_add(
        case=case,
        kind=TimelineKind.APPROVAL,
        actor=actor,
        message=gettext_noop(
            "Emergency disclosure approved by %(user)s (%(count)s of %(needed)s)."
        ),
        params={
            "user": actor.get_username(),
            "count": len(approvers),
            "needed": EMERGENCY_APPROVERS_REQUIRED,
        },
    )
    access_event_record(
        action="approve",
        actor=actor,
        obj=case,
        case_reference=case.reference,
        details={"purpose": purpose, "approvals": len(approvers)},
    )
    return approvers


def _moved(current: Case) -> ConcurrentUpdate:
    return ConcurrentUpdate(
        _("Someone else moved this case (it is now “%(status)s”); reload it and try again.")
        % {"status": _label(current.status)}
    )


def _label(status: str, *, english: bool = False) -> str:
    try:
        label = CaseStatus(status).label
    except ValueError:
        return status
    if english:
        with translation.override("en"):
            return str(label)
    return str(label)


def _record_denied(actor: Any, case: Case, transition: Transition, why: str) -> None:
    denial_record(
        action="transition",
        actor=actor,
        object_type="cases.case",
        object_id=str(case.pk),
        case_reference=case.reference if why == "role" else "",
        details={"from": transition.source, "to": transition.target, "why": why},
    )
