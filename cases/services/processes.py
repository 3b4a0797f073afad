"""Correcting a process after intake: its facts, its targets, the case's search document.

Shared with intake (``cases.services.intake``): how typed targets become normalised rows
(``targets_parse``) and the full-text document of a case (``case_search_refresh``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.holds import IN_FORCE
from cases.models import (
    Case,
    LegalProcess,
    Target,
    TargetKind,
    TimelineKind,
    UserNoticeStatus,
    UserNoticeWithheldReason,
)
from cases.selectors import CaseAction, case_check, denials_logged
from cases.services.deadlines import case_deadlines_recompute
from cases.services.timeline import timeline_event_add
from cases.targets import target_normalise
from portal.accounts.models import Agency
from portal.audit.services import access_event_record


@dataclass(frozen=True)
class TargetInput:
    """One identifier as typed: its kind (``TargetKind``) and value."""

    kind: str
    value: str


@dataclass(frozen=True)
class ParsedTarget:
    """A target after ``targets_parse``: as typed, and normalised for lookups."""

    kind: str
    value: str
    normalised: str


def ndo_implied(*, ndo: bool, ndo_expires_on: date | None) -> bool:
    """A non-disclosure order's expiry date implies the order: whoever gives the date of
    its end says there is one (the same facts from the staff form, the officer form and
    the API give the same process)."""
    return ndo or ndo_expires_on is not None


def targets_parse(
    targets: Iterable[TargetInput | tuple[str, str]], *, region: str
) -> tuple[list[ParsedTarget], list[str]]:
    parsed: list[ParsedTarget] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for number, item in enumerate(targets, start=1):
        kind, value = (item.kind, item.value) if isinstance(item, TargetInput) else item
        if kind not in TargetKind.values:
            problems.append(_("Target %(n)s: unknown type.") % {"n": number})
            continue
        try:
            normalised = target_normalise(kind, value, default_region=region)
        except ValidationError as exc:
            problems.append(
                _("Target %(n)s: %(problem)s") % {"n": number, "problem": " ".join(exc.messages)}
            )
            continue
        if (kind, normalised) in seen:
            continue
        seen.add((kind, normalised))
        parsed.append(ParsedTarget(kind=kind, value=value.strip(), normalised=normalised))
    return parsed, problems


def case_search_refresh(*, case: Case) -> None:
    """Rebuild the case's full-text document: reference, agency name, every target, and
    each process's agency case number and issuer's docket (what an officer quotes)."""
    parts = [case.reference]
    if case.agency_id:
        parts.append(Agency.objects.values_list("name", flat=True).get(pk=case.agency_id))
    for numbers in case.processes.values_list("agency_case_number", "authority_reference"):
        parts += [number for number in numbers if number]
    for value, normalised in case.targets.values_list("value", "normalised"):
        parts += [normalised] if value == normalised else [normalised, value]
    document = " ".join(parts)
    Case.objects.filter(pk=case.pk).update(
        search_vector=SearchVector(Value(document), config="simple")
    )


# Fields of a process that staff may correct after intake; each is an input of the rules.
PROCESS_EDITABLE = frozenset(
    {
        "issuing_authority",
        "authority_reference",
        "return_date",
        "period_ends_on",
        "extensions",
        "ndo",
        "ndo_expires_on",
        "emergency",
        "emergency_justification",
        "foreign_offence",
        "enforcing_state_notified",
        "reported_at",
    }
)


@denials_logged
def process_update(
    *,
    process: LegalProcess,
    actor: Any,
    reason: str,
    **changes: Any,
) -> LegalProcess:
    """Correct the facts of a process (e.g. a return date, an NDO's expiry) and recompute
    every deadline of its case. The document itself can never change."""
    unknown = set(changes) - PROCESS_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the process details change.")})
    if changes.get("ndo_expires_on") is not None and "ndo" not in changes:
        changes["ndo"] = True  # ndo_implied: a new expiry date implies the order
    with transaction.atomic():
        case = case_check(actor, process.case_id, CaseAction.WORK, lock=True)
        process = LegalProcess.objects.select_for_update().get(pk=process.pk)
        before = {name: getattr(process, name) for name in changes}
        for name, value in changes.items():
            setattr(process, name, value)
        if process.ndo_expires_on is not None and not process.ndo:
            raise ValidationError(
                {"ndo_expires_on": _("An expiry date needs a non-disclosure order.")}
            )
        if process.emergency and not process.emergency_justification.strip():
            raise ValidationError({"emergency_justification": _("Say why this is an emergency.")})
        changed = [name for name in changes if before[name] != getattr(process, name)]
        if not changed:
            return process
        process.full_clean(exclude=["case", "created_by"])
        process.save(update_fields=changed)
        case_fields: list[str] = []
        emergency = case.processes.filter(emergency=True).exists()
        if case.emergency != emergency:
            case.emergency = emergency
            case_fields.append("emergency")
        if process.ndo and case.user_notice_status == UserNoticeStatus.PENDING:
            case.user_notice_status = UserNoticeStatus.WITHHELD
            case.user_notice_withheld_reason = UserNoticeWithheldReason.NDO
            case_fields += ["user_notice_status", "user_notice_withheld_reason"]
        if case_fields:
            case.save(update_fields=[*case_fields, "updated_at"])
        case_deadlines_recompute(case=case)
        timeline_event_add(
            case=case,
            kind=TimelineKind.DEADLINE,
            actor=actor,
            message=gettext_noop(
                "Process details changed (%(fields)s); deadlines recomputed: %(reason)s"
            ),
            params={"fields": ", ".join(changed), "reason": reason},
        )
        access_event_record(
            action="process_update",
            actor=actor,
            obj=process,
            case_reference=case.reference,
            details={
                "before": {n: _jsonable(before[n]) for n in changed},
                "after": {n: _jsonable(getattr(process, n)) for n in changed},
            },
        )
    return process


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


@denials_logged
def targets_add(
    *,
    process: LegalProcess,
    targets: Sequence[TargetInput | tuple[str, str]],
    actor: Any,
) -> list[Target]:
    """Add identifiers a process names but intake missed; holds in force cover them too."""
    parsed, problems = targets_parse(targets, region=process.country)
    if problems:
        raise ValidationError({"targets": problems})
    with transaction.atomic():
        case = case_check(actor, process.case_id, CaseAction.WORK)
        existing = set(process.targets.values_list("kind", "normalised"))
        new = [t for t in parsed if (t.kind, t.normalised) not in existing]
        rows = Target.objects.bulk_create(
            Target(process=process, case=case, kind=t.kind, value=t.value, normalised=t.normalised)
            for t in new
        )
        for preservation in process.preservations.filter(status__in=IN_FORCE):
            preservation.targets.add(*rows)
        if rows:
            case_search_refresh(case=case)
            timeline_event_add(
                case=case,
                kind=TimelineKind.INTAKE,
                actor=actor,
                message=gettext_noop("%(count)s target(s) added."),
                params={"count": len(rows)},
            )
            access_event_record(
                action="targets_add",
                actor=actor,
                obj=process,
                case_reference=case.reference,
                details={"count": len(rows)},
            )
    return rows
