"""The files of a report: attaching them to a draft, a reviewer's classification, and the
record that a person viewed one (what makes ``fileViewedByEsp`` true)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.selectors import denials_logged
from portal.accounts.models import User
from portal.audit.services import access_event_record
from reports.cybertip import validation as v
from reports.cybertip.models import (
    CyberTipReport,
    FileRelevance,
    ReportFile,
    ReportStatus,
)
from reports.cybertip.services.gate import cybertip_case_check

ACTION_FILE_VIEW = "cybertip_file_view"
ACTION_EXIF_VIEW = "cybertip_exif_view"
FILE_FOLDER = "cybertip/files"


@dataclass
class FileInput:
    """A file to report: its bytes and what the platform knows about it."""

    name: str
    content: bytes
    content_type: str = ""
    uploaded_to_esp_at: datetime | None = None
    uploader_ip: str | None = None
    location_of_file: str = ""
    publicly_available: bool | None = None
    relevance: str = FileRelevance.REPORTED
    annotations: list[str] = field(default_factory=list)
    industry_classification: str = ""
    pdq: str = ""
    additional_info: str = ""


@denials_logged
def report_file_add(*, report: CyberTipReport, actor: User, upload: FileInput) -> ReportFile:
    """Attach a file (content or supplemental, e.g. a chat log as CSV) to a draft. Stored
    under its SHA-256; the same file twice on one report is refused."""
    problems = v.Problems()
    v.file_check(problems, "file", asdict(upload))
    if not upload.content:
        problems.add("file.content", _("The file is empty."))
    if upload.relevance not in FileRelevance.values:
        problems.add("file.relevance", _("Reported or supplemental."))
    if upload.uploader_ip:
        v.ip_events_check(
            problems, "file.uploader_ip", [{"ip": upload.uploader_ip}], timezone.now()
        )
    if upload.pdq and len(upload.pdq) != 64:
        problems.add("file.pdq", _("A PDQ hash is 64 hexadecimal characters."))
    problems.raise_if_any()
    sha256 = hashlib.sha256(upload.content).hexdigest()
    md5 = hashlib.md5(upload.content, usedforsecurity=False).hexdigest()
    with transaction.atomic():
        case = cybertip_case_check(actor, report.case_id)
        report = CyberTipReport.objects.select_for_update().get(pk=report.pk)
        if report.status != ReportStatus.DRAFT:
            raise ValidationError(_("Files can be added to a draft report only."))
        if report.files.filter(sha256=sha256).exists():
            raise ValidationError({"file": _("This file is already part of the report.")})
        path = f"{FILE_FOLDER}/{sha256[:2]}/{sha256}"
        if not default_storage.exists(path):
            path = default_storage.save(path, ContentFile(upload.content))
        row = ReportFile.objects.create(
            report=report,
            file=path,
            original_name=upload.name[:255],
            content_type=upload.content_type[:100],
            size=len(upload.content),
            md5=md5,
            sha256=sha256,
            pdq=upload.pdq.lower(),
            uploaded_to_esp_at=upload.uploaded_to_esp_at,
            uploader_ip=upload.uploader_ip or None,
            location_of_file=upload.location_of_file,
            publicly_available=upload.publicly_available,
            relevance=upload.relevance,
            annotations=sorted(set(upload.annotations)),
            industry_classification=upload.industry_classification,
            additional_info=upload.additional_info,
            added_by=actor,
        )
        access_event_record(
            action="cybertip_file_add",
            actor=actor,
            obj=row,
            case_reference=case.reference,
            details={"sha256": sha256, "size": row.size, "relevance": row.relevance},
        )
    return row


@denials_logged
def report_file_classify(
    *,
    file: ReportFile,
    actor: User,
    annotations: Sequence[str],
    industry_classification: str,
    publicly_available: bool | None = None,
) -> ReportFile:
    """A reviewer's judgement of one file: annotations and industry classification."""
    problems = v.Problems()
    v.file_check(
        problems,
        "file",
        {"annotations": list(annotations), "industry_classification": industry_classification},
    )
    problems.raise_if_any()
    with transaction.atomic():
        case = cybertip_case_check(actor, file.report.case_id)
        file = ReportFile.objects.select_for_update().select_related("report").get(pk=file.pk)
        if file.report.status != ReportStatus.DRAFT:
            raise ValidationError(_("The report was submitted; its files no longer change."))
        before = {"annotations": file.annotations, "classification": file.industry_classification}
        file.annotations = sorted(set(annotations))
        file.industry_classification = industry_classification
        file.publicly_available = publicly_available
        file.save(update_fields=["annotations", "industry_classification", "publicly_available"])
        access_event_record(
            action="cybertip_file_classify",
            actor=actor,
            obj=file,
            case_reference=case.reference,
            details={
                "before": before,
                "after": {
                    "annotations": file.annotations,
                    "classification": industry_classification,
                },
            },
        )
    return file


@denials_logged
def report_file_view_record(*, file: ReportFile, actor: User, exif: bool = False) -> None:
    """Record that a named person looked at this exact file (or its EXIF data).

    This event is what makes ``fileViewedByEsp`` true (United States v. Wilson, 9th Cir.
    2021): a file nobody viewed goes to NCMEC as not viewed, so police know they need a
    warrant to open it. System actors never count as viewers.
    """
    if getattr(actor, "is_system_actor", False):
        raise ValidationError(_("Only a person can review a file."))
    with transaction.atomic():
        case = cybertip_case_check(actor, file.report.case_id)
        access_event_record(
            action=ACTION_EXIF_VIEW if exif else ACTION_FILE_VIEW,
            actor=actor,
            obj=file,
            case_reference=case.reference,
            details={"sha256": file.sha256},
        )
