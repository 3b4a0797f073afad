"""Drafts of CyberTipline reports: the facts a report carries, creating and updating a
draft, one open draft per reported user, and the request to file it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, TimelineKind
from cases.selectors import denials_logged
from cases.services.timeline import timeline_event_add
from portal.accounts.models import User
from portal.audit.services import access_event_record
from reports.cybertip import validation as v
from reports.cybertip.models import (
    CyberTipReport,
    InternetDetail,
    PersonRole,
    ReportPerson,
    ReportStatus,
)
from reports.cybertip.services.files import FileInput, report_file_add
from reports.cybertip.services.gate import cybertip_case_check


class ConcurrentChange(ValidationError):
    """Someone else moved the report first (compare-and-set lost)."""


@dataclass
class PersonInput:
    role: str = PersonRole.REPORTED
    first_name: str = ""
    last_name: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    age: int | None = None
    date_of_birth: date | None = None
    esp_identifier: str = ""
    esp_service: str = ""
    screen_name: str = ""
    display_names: list[str] = field(default_factory=list)
    profile_urls: list[str] = field(default_factory=list)
    ip_events: list[dict[str, Any]] = field(default_factory=list)
    device_ids: list[dict[str, Any]] = field(default_factory=list)
    account_temporarily_disabled: bool = False
    account_permanently_disabled: bool = False
    disabled_at: datetime | None = None
    additional_info: str = ""


@dataclass
class DetailInput:
    kind: str
    urls: list[str] = field(default_factory=list)
    third_party_hosted: bool | None = None
    email_addresses: list[str] = field(default_factory=list)
    name: str = ""
    chat_client: str = ""
    chat_room_name: str = ""
    game_name: str = ""
    console: str = ""
    phone_number: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location_name: str = ""
    p2p_client: str = ""
    file_names: str = ""
    content: str = ""
    additional_info: str = ""


@dataclass
class ReportInput:
    """Everything a person types about a report; files are added separately."""

    incident_type: str
    incident_at: datetime
    incident_time_zone: str = "UTC"
    incident_time_description: str = ""
    platform: str = ""
    annotations: list[str] = field(default_factory=list)
    escalate_text: str = ""
    le_agency_name: str = ""
    le_case_number: str = ""
    le_officer_first_name: str = ""
    le_officer_last_name: str = ""
    le_officer_email: str = ""
    le_officer_phone: str = ""
    le_reported_to: bool | None = None
    le_served_domestic: bool | None = None
    le_served_international: bool | None = None
    le_flea_country: str = ""
    additional_info: str = ""
    prior_report_ids: list[int] = field(default_factory=list)
    persons: list[PersonInput] = field(default_factory=list)
    details: list[DetailInput] = field(default_factory=list)


REPORT_FIELDS = tuple(
    name for name in ReportInput.__dataclass_fields__ if name not in ("persons", "details")
)


def _input_check(data: ReportInput, now: datetime) -> None:
    problems = v.Problems()
    values = asdict(data)
    v.report_fields_check(problems, values, now)
    for index, person in enumerate(values["persons"]):
        if person["role"] not in PersonRole.values:
            problems.add(f"persons.{index}.role", _("Reported user, intended recipient or victim."))
        v.person_check(problems, f"persons.{index}", person, now)
    for index, detail in enumerate(values["details"]):
        v.detail_check(problems, f"details.{index}", detail)
    v.cross_check(
        problems,
        details=values["details"],
        persons=values["persons"],
        prior_report_ids=data.prior_report_ids,
    )
    problems.raise_if_any()


def _reported_key(data: ReportInput) -> str:
    for person in data.persons:
        if person.role == PersonRole.REPORTED and person.esp_identifier:
            return person.esp_identifier.strip()
    return ""


def _children_write(report: CyberTipReport, data: ReportInput) -> None:
    report.persons.all().delete()
    report.internet_details.all().delete()
    ReportPerson.objects.bulk_create(
        ReportPerson(report=report, position=i, **asdict(p)) for i, p in enumerate(data.persons)
    )
    InternetDetail.objects.bulk_create(
        InternetDetail(report=report, position=i, **asdict(d)) for i, d in enumerate(data.details)
    )


def _one_draft_per_user(report: CyberTipReport) -> None:
    """One open draft per reported user (issue 13): a new incident adds to that draft."""
    if not report.reported_user_key:
        return
    others = CyberTipReport.objects.filter(
        reported_user_key=report.reported_user_key, status=ReportStatus.DRAFT
    ).exclude(pk=report.pk)
    if others.exists():
        raise ValidationError(
            {"persons": _("This user already has an open draft report; add to it.")}
        )


@denials_logged
def report_draft_create(*, case: Case, actor: User, data: ReportInput) -> CyberTipReport:
    """Start a report from a child-safety case. One open draft per reported user: if that
    user already has one, its facts win and the caller should add to it instead
    (``cybertip_draft_for_user``)."""
    now = timezone.now()
    _input_check(data, now)
    with transaction.atomic():
        case = cybertip_case_check(actor, case.pk)
        report = CyberTipReport(
            case=case,
            created_by=actor,
            reported_user_key=_reported_key(data),
            **{name: getattr(data, name) for name in REPORT_FIELDS},
        )
        report.platform = report.platform or settings.LIAISON_CYBERTIP_PLATFORM
        _one_draft_per_user(report)
        report.full_clean(exclude=["case", "created_by"])
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"persons": _("This user already has an open draft report; add to it.")}
            ) from exc
        _children_write(report, data)
        timeline_event_add(
            case=case,
            kind=TimelineKind.NOTE,
            actor=actor,
            message=gettext_noop("CyberTipline report drafted (%(type)s)."),
            params={"type": report.incident_type},
        )
        access_event_record(
            action="cybertip_draft",
            actor=actor,
            obj=report,
            case_reference=case.reference,
            details={
                "incident_type": report.incident_type,
                "follow_up": bool(data.prior_report_ids),
            },
        )
    return report


@denials_logged
def report_draft_update(
    *, report: CyberTipReport, actor: User, data: ReportInput
) -> CyberTipReport:
    """Replace the draft's facts (fields, persons, internet details). Only a draft changes."""
    now = timezone.now()
    _input_check(data, now)
    with transaction.atomic():
        case = cybertip_case_check(actor, report.case_id)
        report = CyberTipReport.objects.select_for_update().get(pk=report.pk)
        if report.status != ReportStatus.DRAFT:
            raise ValidationError(_("Only a draft report can be changed."))
        before = {name: _jsonable(getattr(report, name)) for name in REPORT_FIELDS}
        for name in REPORT_FIELDS:
            setattr(report, name, getattr(data, name))
        report.reported_user_key = _reported_key(data)
        _one_draft_per_user(report)
        report.full_clean(exclude=["case", "created_by"])
        report.save()
        _children_write(report, data)
        changed = [n for n in REPORT_FIELDS if before[n] != _jsonable(getattr(report, n))]
        access_event_record(
            action="cybertip_update",
            actor=actor,
            obj=report,
            case_reference=case.reference,
            details={"fields": changed, "persons": len(data.persons), "details": len(data.details)},
        )
    return report


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


@denials_logged
def report_submit_request(*, report: CyberTipReport, actor: User) -> CyberTipReport:
    """Check the draft field by field and against the XSD, then queue it for filing.

    Nothing is sent from here: the Celery task files it as the submitter system actor, so
    a slow NCMEC never holds a page, and a crash resumes from the recorded steps.
    """
    from reports.cybertip.build import report_check
    from reports.cybertip.tasks import cybertip_submit

    with transaction.atomic():
        case = cybertip_case_check(actor, report.case_id)
        report_check(report)
        updated = CyberTipReport.objects.filter(pk=report.pk, status=ReportStatus.DRAFT).update(
            status=ReportStatus.SUBMITTING,
            queued_at=timezone.now(),
            queued_by=actor,
            last_answer="",
        )
        if updated != 1:
            raise ConcurrentChange(_("The report is no longer a draft; reload the page."))
        timeline_event_add(
            case=case,
            kind=TimelineKind.NOTE,
            actor=actor,
            message=gettext_noop("CyberTipline report queued for filing with NCMEC."),
            params={},
        )
        access_event_record(
            action="cybertip_submit",
            actor=actor,
            obj=report,
            case_reference=case.reference,
        )
        report_id = report.pk
        transaction.on_commit(lambda: cybertip_submit.delay(report_id))
    report.refresh_from_db()
    return report


@dataclass(frozen=True)
class DraftForUser:
    """What ``cybertip_draft_for_user`` did: the draft, and whether it was new."""

    report: CyberTipReport
    created: bool
    follow_up_of: tuple[int, ...]


def cybertip_draft_for_user(
    *,
    case: Case,
    reported_user_id: str,
    actor: User,
    files: Sequence[FileInput] = (),
    incident_type: str = "Child Pornography (possession, manufacture, and distribution)",
    incident_at: datetime | None = None,
    screen_name: str = "",
) -> DraftForUser:
    """One report per reported user: add the incident's files to the user's open draft,
    or open a draft, citing the user's earlier filed reports (a follow-up) if there are any.

    For callers that detect (a hash match, a user report): files added here were seen by
    no person, so they go to NCMEC as not viewed until someone reviews them.
    """
    key = reported_user_id.strip()
    if not key:
        raise ValidationError({"reported_user_id": _("The platform's id of the reported user.")})
    with transaction.atomic():
        cybertip_case_check(actor, case.pk)
        draft = (
            CyberTipReport.objects.select_for_update()
            .filter(reported_user_key=key, status=ReportStatus.DRAFT)
            .first()
        )
        created = False
        prior: tuple[int, ...] = ()
        if draft is None:
            prior = tuple(
                int(report_id)
                for report_id in CyberTipReport.objects.filter(
                    reported_user_key=key, status=ReportStatus.FINISHED
                )
                .exclude(ncmec_report_id=None)
                .order_by("finished_at")
                .values_list("ncmec_report_id", flat=True)
                if report_id is not None
            )
            draft = report_draft_create(
                case=case,
                actor=actor,
                data=ReportInput(
                    incident_type=incident_type,
                    incident_at=incident_at or timezone.now(),
                    prior_report_ids=list(prior),
                    persons=[
                        PersonInput(
                            role=PersonRole.REPORTED, esp_identifier=key, screen_name=screen_name
                        )
                    ],
                ),
            )
            created = True
        for upload in files:
            if not draft.files.filter(sha256=hashlib.sha256(upload.content).hexdigest()).exists():
                report_file_add(report=draft, actor=actor, upload=upload)
    return DraftForUser(report=draft, created=created, follow_up_of=prior)
