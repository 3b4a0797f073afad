"""Intake: one served process (or one detected incident) becomes a case with targets,
holds and deadlines.

Three adapters take intake: the staff form (process arriving by e-mail, fax or post; a
child-safety incident found on the platform), the officer portal's form and the officer
API. Each builds one ``IntakeInput`` with ``intake_input`` (the one place where typed
input is shaped: a jurisdiction split into country and subdivision, text stripped,
targets as ``TargetInput``), and ``case_intake`` applies every rule, validates all of it
first (a ``ValidationError`` keyed by field) and only then writes, in one transaction,
with the document stored under its SHA-256. A failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policy
from cases.jurisdictions import jurisdiction_errors, jurisdiction_resolve, jurisdiction_split
from cases.models import (
    Case,
    CaseType,
    DataCategory,
    LegalProcess,
    Preservation,
    Priority,
    ProcessKind,
    ReceivedVia,
    Target,
    TimelineKind,
    UserNoticeStatus,
    UserNoticeWithheldReason,
)
from cases.rules import PRESERVATION_KINDS, Clock, deadlines_compute
from cases.services.deadlines import case_deadlines_recompute, process_facts
from cases.services.processes import (
    ParsedTarget,
    TargetInput,
    case_search_refresh,
    ndo_implied,
    targets_parse,
)
from cases.services.routing import team_route
from cases.services.timeline import case_reference_next, timeline_event_add
from cases.uploads import CheckedUpload, upload_check, upload_stored
from portal.accounts.models import Agency, Officer
from portal.accounts.roles import Capability, has_capability
from portal.audit.services import access_event_record

K = ProcessKind

# Kinds that may arrive without a document (a web form, an internal detection).
DOCUMENT_OPTIONAL = frozenset({K.US_EMERGENCY, K.CYBERTIPLINE})
CLOCK_SKEW = timedelta(minutes=5)
DOCUMENT_FOLDER = "cases/process"


# How a child-safety incident came to light. Recorded as the "issuing authority" of its
# CyberTipline report duty (the duty is the provider's own, 18 USC 2258A(a)), so the case
# page and the report say where it came from.
INCIDENT_SOURCES: dict[str, str] = {
    "user_report": gettext_noop("user report"),
    "moderation": gettext_noop("moderator review"),
    "hash_match": gettext_noop("known-image hash match"),
    "classifier": gettext_noop("automated classifier"),
    "external_tip": gettext_noop("tip from outside the platform"),
    "other": gettext_noop("other"),
}


def incident_authority(source: str) -> str:
    """The stored "issuing authority" of an incident found through ``source``."""
    return f"Internal detection ({INCIDENT_SOURCES.get(source, source)})"


@dataclass(frozen=True)
class IntakeInput:
    """Everything intake needs, typed: what the staff form, the officer form and the API
    each collect, built by ``intake_input``. Empty means "not given"; ``case_intake``
    decides what follows (defaults, implications) and what is missing."""

    kind: str
    received_at: datetime
    targets: tuple[TargetInput, ...]
    country: str = ""
    subdivision: str = ""
    issuing_authority: str = ""
    document: UploadedFile | None = None
    case_type: str = CaseType.REQUEST
    authority_reference: str = ""
    return_date: date | None = None
    period_ends_on: date | None = None
    ndo: bool = False
    ndo_expires_on: date | None = None
    emergency: bool = False
    emergency_justification: str = ""
    foreign_offence: bool = False
    enforcing_state_notified: bool = False
    agency: Agency | None = None
    submitting_officer: Officer | None = None
    received_via: str = ReceivedVia.EMAIL
    agency_case_number: str = ""
    data_categories: tuple[str, ...] = field(default_factory=tuple)
    date_from: date | None = None
    date_to: date | None = None
    priority: int | None = None
    summary: str = ""


def intake_input(
    *,
    kind: str,
    targets: Iterable[TargetInput | tuple[str, str]],
    received_at: datetime | None = None,
    jurisdiction: str = "",
    country: str = "",
    subdivision: str = "",
    data_categories: Iterable[str] = (),
    **facts: Any,
) -> IntakeInput:
    """The one way an adapter turns what it received into an ``IntakeInput``.

    ``jurisdiction`` (``US-CA`` or ``DE``, as the officer form and the API take it) or
    ``country`` and ``subdivision`` (as the staff form does); text is stripped, codes
    upper-cased, targets made ``TargetInput``; ``received_at`` defaults to now (an
    officer's submission is received when it arrives). Nothing is decided here.
    """
    # A name or the picker's label becomes its code; what names no jurisdiction is kept
    # whole, so the rules' check refuses it as typed (never cut to fit a column).
    if jurisdiction:
        country, subdivision = jurisdiction_split(
            jurisdiction_resolve(jurisdiction) or jurisdiction
        )
    else:
        country = jurisdiction_resolve(country) or country if country else ""
        subdivision = jurisdiction_resolve(subdivision) or subdivision if subdivision else ""
    text: dict[str, Any] = {
        name: value.strip() if isinstance(value, str) else value for name, value in facts.items()
    }
    return IntakeInput(
        kind=kind,
        received_at=received_at or timezone.now(),
        targets=tuple(
            t if isinstance(t, TargetInput) else TargetInput(kind=t[0], value=t[1]) for t in targets
        ),
        country=(country or "").strip().upper(),
        subdivision=(subdivision or "").strip().upper(),
        data_categories=tuple(sorted(set(data_categories or ()))),
        **text,
    )


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


def case_intake(*, actor: Any, data: IntakeInput) -> Case:
    """Record one served process (or one detected incident) as a new case, status
    ``received``; ``data`` comes from ``intake_input``, whichever adapter took it.

    Creates, in one transaction: the case (reference, team by routing), the process with
    its stored document, the targets, a preservation for preservation kinds, every
    deadline the rules give, the first timeline event and the access event. The rules that
    follow from the facts are applied here, the same for every channel: an officer submits
    for their own agency; the issuing authority defaults to the agency's name and the
    country to its country; an NDO's expiry implies the NDO; an emergency kind is an
    emergency.
    """
    officer = _intake_permission(actor, data.case_type)
    agency, submitting_officer, received_via = (
        data.agency,
        data.submitting_officer,
        data.received_via,
    )
    if officer is not None:
        agency, submitting_officer = officer.agency, officer
        received_via = received_via if received_via in {"portal", "api"} else ReceivedVia.API
    elif submitting_officer is not None and agency is None:
        agency = submitting_officer.agency
    kind, case_type, targets, document = data.kind, data.case_type, data.targets, data.document
    country = data.country or (agency.country if agency else "")
    subdivision = data.subdivision
    issuing_authority = data.issuing_authority or (agency.name if agency else "")
    received_at = data.received_at
    return_date, period_ends_on = data.return_date, data.period_ends_on
    ndo_expires_on = data.ndo_expires_on
    ndo = ndo_implied(ndo=data.ndo, ndo_expires_on=ndo_expires_on)
    emergency = data.emergency or kind == K.US_EMERGENCY
    emergency_justification = data.emergency_justification
    foreign_offence, enforcing_state_notified = (
        data.foreign_offence,
        data.enforcing_state_notified,
    )
    agency_case_number, data_categories = data.agency_case_number, list(data.data_categories)
    date_from, date_to, priority = data.date_from, data.date_to, data.priority
    authority_reference, summary = data.authority_reference, data.summary

    errors: dict[str, Any] = {}
    if kind not in ProcessKind.values:
        errors["kind"] = _("Choose the kind of legal process.")
    if case_type not in CaseType.values:
        errors["case_type"] = _("Choose the case type.")
    elif case_type == CaseType.CHILD_SAFETY and kind != K.CYBERTIPLINE:
        errors["kind"] = _("A child-safety incident is recorded as a CyberTipline report duty.")
    elif case_type == CaseType.REQUEST and kind == K.CYBERTIPLINE:
        errors["case_type"] = _("A CyberTipline report duty is a child-safety incident.")
    errors.update(jurisdiction_errors(kind, country, subdivision))
    if not issuing_authority:
        errors["issuing_authority"] = _("Name the court or authority that issued the process.")
    if received_via not in ReceivedVia.values:
        errors["received_via"] = _("Choose how the process arrived.")
    if timezone.is_naive(received_at):
        errors["received_at"] = _("Give the time of receipt with its time zone.")
    elif received_at > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = _("The time of receipt cannot be in the future.")
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
    if (
        submitting_officer is not None
        and agency is not None
        and submitting_officer.agency_id != agency.pk
    ):
        errors["submitting_officer"] = _("The officer does not belong to this agency.")
    parsed, problems = targets_parse(targets, region=country)
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


def _process_save(process: LegalProcess, *, targets: list[ParsedTarget]) -> None:
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
