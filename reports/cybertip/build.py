"""Reports from the database to checked XML: the one path every caller uses (submission,
``export_cybertip``, the review page's live check, the bench)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree  # type: ignore[import-untyped]

from portal.audit.models import AccessEvent
from reports.cybertip import validation as v
from reports.cybertip.models import CyberTipReport, InternetDetail, ReportFile, ReportPerson
from reports.cybertip.services import ACTION_EXIF_VIEW, ACTION_FILE_VIEW
from reports.cybertip.xml import file_details_element, report_element, schema_errors, serialise

PERSON_FIELDS = (
    "role",
    "first_name",
    "last_name",
    "emails",
    "phones",
    "age",
    "date_of_birth",
    "esp_identifier",
    "esp_service",
    "screen_name",
    "display_names",
    "profile_urls",
    "ip_events",
    "device_ids",
    "disabled_at",
    "additional_info",
)
DETAIL_FIELDS = ("kind", *sorted(v.DETAIL_COLUMNS))
REPORT_CHECKED = (
    "incident_type",
    "incident_at",
    "incident_time_zone",
    "incident_time_description",
    "platform",
    "annotations",
    "escalate_text",
    "le_agency_name",
    "le_case_number",
    "le_officer_first_name",
    "le_officer_last_name",
    "le_officer_email",
    "le_officer_phone",
    "le_reported_to",
    "le_served_domestic",
    "le_served_international",
    "le_flea_country",
    "additional_info",
    "prior_report_ids",
)
# Placeholder ids for checking fileDetails before NCMEC has assigned real ones.
CHECK_REPORT_ID = 1
CHECK_FILE_ID = "0" * 32


def reporter_facts() -> dict[str, str]:
    return {k: (val or "").strip() for k, val in settings.LIAISON_CYBERTIP_REPORTER.items()}


def contact_facts() -> dict[str, str]:
    return {k: (val or "").strip() for k, val in settings.LIAISON_CYBERTIP_CONTACT.items()}


@dataclass(frozen=True)
class Reviewed:
    """Which files of a report a named person viewed (and whose EXIF), per the access log."""

    files: frozenset[int]
    exif: frozenset[int]


def reviews_for(reports: Iterable[CyberTipReport]) -> dict[int, Reviewed]:
    """One query for many reports: the access log's view events by people (not system
    actors) on these reports' files. The log is the only source of ``fileViewedByEsp``."""
    reports = list(reports)
    references = {r.case.reference for r in reports}
    file_ids = {str(f.pk): f.report_id for r in reports for f in r.files.all()}
    seen: dict[int, tuple[set[int], set[int]]] = {r.pk: (set(), set()) for r in reports}
    if file_ids:
        rows = AccessEvent.objects.filter(
            case_reference__in=references,
            action__in=(ACTION_FILE_VIEW, ACTION_EXIF_VIEW),
            object_type="cybertip.reportfile",
            object_id__in=list(file_ids),
            outcome=AccessEvent.Outcome.SUCCESS,
            actor__isnull=False,
            actor__is_system_actor=False,
        ).values_list("action", "object_id")
        for action, object_id in rows:
            report_id = file_ids[object_id]
            (seen[report_id][0] if action == ACTION_FILE_VIEW else seen[report_id][1]).add(
                int(object_id)
            )
    return {pk: Reviewed(frozenset(a), frozenset(b)) for pk, (a, b) in seen.items()}


def reports_loaded(queryset: Any) -> Any:
    """The queryset with everything the builder reads, prefetched (a handful of queries
    for any number of reports)."""
    return queryset.select_related("case").prefetch_related(
        Prefetch("persons", queryset=ReportPerson.objects.order_by("position", "pk")),
        Prefetch("internet_details", queryset=InternetDetail.objects.order_by("position", "pk")),
        Prefetch("files", queryset=ReportFile.objects.order_by("added_at", "pk")),
    )


def report_load(report_id: int) -> CyberTipReport:
    report: CyberTipReport = reports_loaded(CyberTipReport.objects.filter(pk=report_id)).get()
    return report


def report_document(report: CyberTipReport) -> etree._Element:
    return report_element(
        report,
        details=list(report.internet_details.all()),
        persons=list(report.persons.all()),
        reporter=reporter_facts(),
        contact=contact_facts(),
    )


def report_xml(report: CyberTipReport) -> bytes:
    """The ``<report>`` as sent to NCMEC (checked; raises ``ValidationError`` otherwise)."""
    report = report_load(report.pk)
    report_check(report, loaded=True)
    return serialise(report_document(report))


def file_details_xml(
    file: ReportFile, *, ncmec_report_id: int, ncmec_file_id: str, reviewed: Reviewed
) -> bytes:
    element = file_details_element(
        file,
        ncmec_report_id=ncmec_report_id,
        ncmec_file_id=ncmec_file_id,
        viewed=file.pk in reviewed.files,
        exif_viewed=file.pk in reviewed.exif,
    )
    problems = schema_errors(element)
    if problems:
        raise ValidationError({f"files.{file.pk}": problems})
    return serialise(element)


def report_problems(report: CyberTipReport, *, loaded: bool = False) -> dict[str, list[str]]:
    """Every problem of the report as NCMEC would see it, by field; empty when fit to send.

    The stored rows are checked with the same rules as input (data may predate a rule),
    then the built XML against the XSD, then each file's ``fileDetails``.
    """
    if not loaded:
        report = report_load(report.pk)
    now = timezone.now()
    problems = v.Problems()
    v.reporter_check(problems, reporter_facts())
    v.report_fields_check(problems, {n: getattr(report, n) for n in REPORT_CHECKED}, now)
    persons = [{n: getattr(p, n) for n in PERSON_FIELDS} for p in report.persons.all()]
    details = [{n: getattr(d, n) for n in DETAIL_FIELDS} for d in report.internet_details.all()]
    for index, person in enumerate(persons):
        v.person_check(problems, f"persons.{index}", person, now)
    for index, detail in enumerate(details):
        v.detail_check(problems, f"details.{index}", detail)
    v.cross_check(
        problems, details=details, persons=persons, prior_report_ids=report.prior_report_ids
    )
    if problems.errors:
        return problems.errors
    errors = schema_errors(report_document(report))
    if errors:
        problems.errors["xml"] = errors
    reviewed = Reviewed(frozenset(), frozenset())
    for file in report.files.all():
        element = file_details_element(
            file,
            ncmec_report_id=CHECK_REPORT_ID,
            ncmec_file_id=CHECK_FILE_ID,
            viewed=file.pk in reviewed.files,
            exif_viewed=False,
        )
        for message in schema_errors(element):
            problems.add(f"files.{file.pk}", message)
    return problems.errors


def report_check(report: CyberTipReport, *, loaded: bool = False) -> None:
    errors = report_problems(report, loaded=loaded)
    if errors:
        raise ValidationError(errors)


class _Row(dict):
    """A row read with ``values()``: attribute access, no model instance (the bench showed
    model instantiation and prefetch bookkeeping costing more than building the XML)."""

    __getattr__ = dict.__getitem__


REPORT_BUILD_FIELDS = (
    "pk",
    "incident_type",
    "incident_at",
    "incident_time_zone",
    "incident_time_description",
    "platform",
    "annotations",
    "escalate_text",
    "le_agency_name",
    "le_case_number",
    "le_officer_first_name",
    "le_officer_last_name",
    "le_officer_email",
    "le_officer_phone",
    "le_reported_to",
    "le_served_domestic",
    "le_served_international",
    "le_flea_country",
    "additional_info",
    "prior_report_ids",
)
PERSON_BUILD_FIELDS = (
    "report_id",
    *PERSON_FIELDS,
    "account_temporarily_disabled",
    "account_permanently_disabled",
)
DETAIL_BUILD_FIELDS = ("report_id", *DETAIL_FIELDS)


def reports_build(queryset: Any, *, batch: int = 1000) -> Iterator[tuple[int, bytes, list[str]]]:
    """Build and validate many reports: (report id, XML, schema errors) for each.

    Three ``values()`` queries per batch (reports, persons, internet details), grouped in
    Python, then the same builder as a single report uses (``report_element``).
    """
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    reporter, contact = reporter_facts(), contact_facts()
    for offset in range(0, len(ids), batch):
        chunk = ids[offset : offset + batch]
        persons: dict[int, list[Any]] = {pk: [] for pk in chunk}
        details: dict[int, list[Any]] = {pk: [] for pk in chunk}
        people = ReportPerson.objects.filter(report_id__in=chunk).order_by(
            "report_id", "position", "pk"
        )
        for row in people.values(*PERSON_BUILD_FIELDS):
            persons[row["report_id"]].append(_Row(row))
        blocks = InternetDetail.objects.filter(report_id__in=chunk).order_by(
            "report_id", "position", "pk"
        )
        for row in blocks.values(*DETAIL_BUILD_FIELDS):
            details[row["report_id"]].append(_Row(row))
        reports = CyberTipReport.objects.filter(pk__in=chunk).order_by("pk")
        for row in reports.values(*REPORT_BUILD_FIELDS):
            pk = row["pk"]
            element = report_element(
                _Row(row),  # type: ignore[arg-type]
                details=details[pk],
                persons=persons[pk],
                reporter=reporter,
                contact=contact,
            )
            yield pk, serialise(element), schema_errors(element)


def missing_reporter_message() -> str:
    return _("The reporter's e-mail is not configured (LIAISON_CYBERTIP_REPORTER_EMAIL).")
