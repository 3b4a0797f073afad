"""Intake: one served process becomes a case with targets, holds and deadlines.

``case_intake`` is used by the staff intake form (process arriving by e-mail, fax or post)
and by the officer API, so it takes plain typed values and an uploaded file, validates all
of them first (a ``ValidationError`` keyed by field), and only then writes, in one
transaction, with the document stored under its SHA-256. A failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pycountry
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Value
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policy
from cases.models import (
    Case,
    CaseType,
    DataCategory,
    LegalProcess,
    Preservation,
    PreservationStatus,
    Priority,
    ProcessKind,
    ReceivedVia,
    Target,
    TargetKind,
    TimelineKind,
    UserNoticeStatus,
    UserNoticeWithheldReason,
)
from cases.rules import PRESERVATION_KINDS, Clock, deadlines_compute
from cases.selectors import CaseAction, case_check, denials_logged
from cases.services.deadlines import case_deadlines_recompute, process_facts
from cases.services.routing import team_route
from cases.services.timeline import case_reference_next, timeline_event_add
from cases.targets import target_normalise
from cases.uploads import CheckedUpload, upload_check, upload_stored
from portal.accounts.models import Agency, Officer
from portal.accounts.roles import Capability, has_capability
from portal.audit.services import access_event_record

K = ProcessKind

# Member states bound by Regulation (EU) 2023/1543 (Denmark does not take part in it).
EPOC_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# Where each kind may come from; kinds not listed may come from anywhere (an emergency
# request under 2702(b)(8) may come from a foreign agency; an MLAT from any treaty partner).
KIND_COUNTRIES: dict[str, frozenset[str]] = {
    K.US_SUBPOENA: frozenset({"US"}),
    K.US_2703D_ORDER: frozenset({"US"}),
    K.US_SEARCH_WARRANT: frozenset({"US"}),
    K.US_PRESERVATION: frozenset({"US"}),
    K.US_PEN_TRAP: frozenset({"US"}),
    K.US_WIRETAP: frozenset({"US"}),
    K.US_BACKUP_PRESERVATION: frozenset({"US"}),
    K.EU_EPOC: EPOC_STATES,
    K.EU_EPOC_PR: EPOC_STATES,
    K.UK_OPO: frozenset({"GB"}),
    K.CA_PRESERVATION_ORDER: frozenset({"CA"}),
    K.CA_PRESERVATION_DEMAND: frozenset({"CA"}),
    K.CA_PRODUCTION_ORDER: frozenset({"CA"}),
    K.AU_IPO: frozenset({"AU"}),
    K.BR_COURT_ORDER: frozenset({"BR"}),
    K.BR_RETENTION_DEMAND: frozenset({"BR"}),
}
# Kinds that may arrive without a document (a web form, an internal detection).
DOCUMENT_OPTIONAL = frozenset({K.US_EMERGENCY, K.CYBERTIPLINE})
CLOCK_SKEW = timedelta(minutes=5)
DOCUMENT_FOLDER = "cases/process"


@dataclass(frozen=True)
class TargetInput:
    """One identifier as typed: its kind (``TargetKind``) and value."""

    kind: str
    value: str


@dataclass(frozen=True)
class _Target:
    kind: str
    value: str
    normalised: str


def _jurisdiction_errors(kind: str, country: str, subdivision: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    # ISO 3166 itself (pycountry's copy of the standard), not a look-alike pattern: a
    # typo such as "US-CX" must not become a jurisdiction that rules and reports key on.
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = _("Give the country as an ISO 3166-1 code, e.g. US, DE, GB.")
    elif kind in KIND_COUNTRIES and country not in KIND_COUNTRIES[kind]:
        errors["country"] = _("This kind of process cannot come from %(country)s.") % {
            "country": country
        }
    if subdivision and (
        subdivision[:3] != f"{country}-" or pycountry.subdivisions.get(code=subdivision) is None
    ):
        errors["subdivision"] = _(
            "Give the subdivision as an ISO 3166-2 code of the country, e.g. US-CA."
        )
    return errors


def _targets_parse(
    targets: Iterable[TargetInput | tuple[str, str]], *, region: str
) -> tuple[list[_Target], list[str]]:
    parsed: list[_Target] = []
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
        parsed.append(_Target(kind=kind, value=value.strip(), normalised=normalised))
    return parsed, problems


def _intake_permission(actor: Any, case_type: str) -> Officer | None:
    """Staff intake needs the policy's intake capability for the case type; an officer in
    good standing submits requests for their own agency. Returns the officer."""
    if policy.may_intake(actor, case_type):
        return None
    if case_type == CaseType.CHILD_SAFETY:
        raise PermissionDenied(_("You may not record child-safety incidents."))
    if has_capability(actor, Capability.SUBMIT_REQUESTS) and policy.officer_agency_id(actor):
        return Officer.objects.select_related("agency").get(user=actor)
    raise PermissionDenied(_("You may not record legal process."))


def case_intake(
    *,
    actor: Any,
    kind: str,
    country: str,
    issuing_authority: str,
    received_at: datetime,
    targets: Sequence[TargetInput | tuple[str, str]],
    document: UploadedFile | None = None,
    case_type: str = CaseType.REQUEST,
    subdivision: str = "",
    authority_reference: str = "",
    return_date: date | None = None,
    period_ends_on: date | None = None,
    ndo: bool = False,
    ndo_expires_on: date | None = None,
    emergency: bool = False,
    emergency_justification: str = "",
    foreign_offence: bool = False,
    enforcing_state_notified: bool = False,
    agency: Agency | None = None,
    submitting_officer: Officer | None = None,
    received_via: str = ReceivedVia.EMAIL,
    agency_case_number: str = "",
    data_categories: Sequence[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
    priority: int | None = None,
    summary: str = "",
    request: HttpRequest | None = None,
) -> Case:
    """Record one served process as a new case; returns the case (status ``received``).

    Creates, in one transaction: the case (reference, team by routing), the process with
    its stored document, the targets, a preservation for preservation kinds, every
    deadline the rules give, the first timeline event and the access event.
    An officer acting through the API always submits for their own agency.
    """
    officer = _intake_permission(actor, case_type)
    if officer is not None:
        agency, submitting_officer = officer.agency, officer
        received_via = received_via if received_via in {"portal", "api"} else ReceivedVia.API
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip().upper()
    issuing_authority = (issuing_authority or "").strip()
    emergency = emergency or kind == K.US_EMERGENCY
    emergency_justification = (emergency_justification or "").strip()
    agency_case_number = (agency_case_number or "").strip()
    data_categories = sorted(set(data_categories or ()))

    errors: dict[str, Any] = {}
    if kind not in ProcessKind.values:
        errors["kind"] = _("Choose the kind of legal process.")
    if case_type not in CaseType.values:
        errors["case_type"] = _("Choose the case type.")
    elif case_type == CaseType.CHILD_SAFETY and kind != K.CYBERTIPLINE:
        errors["kind"] = _("A child-safety incident is recorded as a CyberTipline report duty.")
    elif case_type == CaseType.REQUEST and kind == K.CYBERTIPLINE:
        errors["case_type"] = _("A CyberTipline report duty is a child-safety incident.")
    errors.update(_jurisdiction_errors(kind, country, subdivision))
    if not issuing_authority:
        errors["issuing_authority"] = _("Name the court or authority that issued the process.")
    if received_via not in ReceivedVia.values:
        errors["received_via"] = _("Choose how the process arrived.")
    if timezone.is_naive(received_at):
        errors["received_at"] = _("Give the time of receipt with its time zone.")
    elif received_at > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = _("The time of receipt cannot be in the future.")
    if ndo_expires_on is not None and not ndo:
        errors["ndo_expires_on"] = _("An expiry date needs a non-disclosure order.")
    if emergency and not emergency_justification:
        errors["emergency_justification"] = _(
            "Say why this is an emergency (danger of death or serious physical injury)."
        )
    unknown = [c for c in data_categories if c not in DataCategory.values]
    if unknown:
        errors["data_categories"] = _("Unknown kind of data: %(names)s.") % {
            "names": ", ".join(unknown)
        }
    if date_from is not None and date_to is not None and date_from > date_to:
        errors["date_to"] = _("The end of the period cannot be before its start.")
    if len(agency_case_number) > 64:
        errors["agency_case_number"] = _("The case number is longer than 64 characters.")
    if priority is not None and priority not in Priority.values:
        errors["priority"] = _("Choose a priority.")
    if submitting_officer is not None and agency is not None:
        if submitting_officer.agency_id != agency.pk:
            errors["submitting_officer"] = _("The officer does not belong to this agency.")
    elif submitting_officer is not None:
        agency = submitting_officer.agency
    parsed, problems = _targets_parse(targets, region=country)
    if problems:
        errors["targets"] = problems
    elif not parsed:
        errors["targets"] = _("Name at least one target (account, e-mail, phone, ...).")
    checked: CheckedUpload | None = None
    if document is not None:
        try:
            checked = upload_check(document, field="document")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif kind not in DOCUMENT_OPTIONAL and "kind" not in errors:
        errors["document"] = _("Attach the legal process document (PDF or image).")
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    # The file is written first and removed again if anything in the transaction (or its
    # commit) fails: the context manager sits outside the atomic block on purpose.
    stored = (
        upload_stored(checked, folder=DOCUMENT_FOLDER)
        if checked is not None
        else contextlib.nullcontext("")
    )
    with stored as stored_name, transaction.atomic():
        team = team_route(case_type=case_type, country=country, subdivision=subdivision)
        notice_status, notice_reason, notice_note = _initial_user_notice(
            case_type=case_type, ndo=ndo, emergency=emergency
        )
        case = Case(
            reference=case_reference_next(case_type=case_type, at=now),
            case_type=case_type,
            team=team,
            priority=Priority.URGENT if emergency else (priority or Priority.NORMAL),
            emergency=emergency,
            agency=agency,
            submitting_officer=submitting_officer,
            received_via=received_via,
            summary=summary.strip()[:300],
            user_notice_status=notice_status,
            user_notice_withheld_reason=notice_reason,
            user_notice_note=notice_note,
            status_changed_at=now,
        )
        case.full_clean()
        case.save()
        process = LegalProcess(
            case=case,
            kind=kind,
            country=country,
            subdivision=subdivision,
            issuing_authority=issuing_authority[:300],
            authority_reference=authority_reference.strip()[:120],
            received_at=received_at,
            return_date=return_date,
            period_ends_on=period_ends_on,
            ndo=ndo,
            ndo_expires_on=ndo_expires_on,
            emergency=emergency,
            emergency_justification=emergency_justification,
            foreign_offence=foreign_offence,
            enforcing_state_notified=enforcing_state_notified,
            agency_case_number=agency_case_number,
            data_categories=data_categories,
            date_from=date_from,
            date_to=date_to,
            created_by=actor,
        )
        if checked is not None:
            process.document.name = stored_name
            process.document_name = checked.name
            process.document_sha256 = checked.sha256
            process.document_content_type = checked.content_type
            process.document_size = checked.size
        _process_save(process, targets=parsed)
        case_deadlines_recompute(case=case, now=now)
        case_search_refresh(case=case)
        timeline_event_add(
            case=case,
            kind=TimelineKind.INTAKE,
            actor=actor,
            public=True,
            message=gettext_noop("Received %(kind)s from %(authority)s (%(via)s)."),
            params={
                "kind": str(process.get_kind_display()),
                "authority": issuing_authority,
                "via": str(case.get_received_via_display()),
            },
        )
        access_event_record(
            action="intake",
            request=request,
            actor=actor,
            obj=case,
            case_reference=case.reference,
            details={
                "kind": kind,
                "jurisdiction": process.jurisdiction,
                "targets": len(parsed),
                "document_sha256": process.document_sha256,
                "team": team.slug,
            },
        )
    return case


def _process_save(process: LegalProcess, *, targets: list[_Target]) -> None:
    process.full_clean(exclude=["case", "created_by"])
    process.save()
    rows = Target.objects.bulk_create(
        Target(
            process=process,
            case_id=process.case_id,
            kind=t.kind,
            value=t.value[:500],
            normalised=t.normalised,
        )
        for t in targets
    )
    if process.kind in PRESERVATION_KINDS:
        expiry = next(
            d.due_at
            for d in deadlines_compute(process_facts(process), clock=Clock.from_settings())
            if d.kind == "preservation_expiry"
        )
        preservation = Preservation.objects.create(
            case_id=process.case_id,
            process=process,
            starts_at=process.received_at,
            expires_at=expiry,
        )
        preservation.targets.set(rows)


def _initial_user_notice(*, case_type: str, ndo: bool, emergency: bool) -> tuple[str, str, str]:
    """Policy: notify the user unless an NDO forbids it, it is an emergency, or notice
    would be dangerous (a child-safety incident: notice could tip off an abuser)."""
    if ndo:
        return UserNoticeStatus.WITHHELD, UserNoticeWithheldReason.NDO, ""
    if emergency:
        return UserNoticeStatus.WITHHELD, UserNoticeWithheldReason.EMERGENCY, ""
    if case_type == CaseType.CHILD_SAFETY:
        return (
            UserNoticeStatus.WITHHELD,
            UserNoticeWithheldReason.DANGEROUS,
            "Child-safety incident: no notice to the account holder.",
        )
    return UserNoticeStatus.PENDING, "", ""


def case_search_refresh(*, case: Case) -> None:
    """Rebuild the case's full-text document: reference, agency name, every target."""
    parts = [case.reference]
    if case.agency_id:
        parts.append(Agency.objects.values_list("name", flat=True).get(pk=case.agency_id))
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
    request: HttpRequest | None = None,
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
    with transaction.atomic():
        case = case_check(actor, process.case_id, CaseAction.WORK, request=request, lock=True)
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
            request=request,
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
    request: HttpRequest | None = None,
) -> list[Target]:
    """Add identifiers a process names but intake missed; holds in force cover them too."""
    parsed, problems = _targets_parse(targets, region=process.country)
    if problems:
        raise ValidationError({"targets": problems})
    with transaction.atomic():
        case = case_check(actor, process.case_id, CaseAction.WORK, request=request)
        existing = set(process.targets.values_list("kind", "normalised"))
        new = [t for t in parsed if (t.kind, t.normalised) not in existing]
        rows = Target.objects.bulk_create(
            Target(process=process, case=case, kind=t.kind, value=t.value, normalised=t.normalised)
            for t in new
        )
        for preservation in process.preservations.filter(
            status__in=[PreservationStatus.ACTIVE, PreservationStatus.EXTENDED]
        ):
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
                request=request,
                actor=actor,
                obj=process,
                case_reference=case.reference,
                details={"count": len(rows)},
            )
    return rows
