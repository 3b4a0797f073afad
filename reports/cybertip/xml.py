"""Report -> NCMEC XML, and validation against the schema.

The builder writes elements in the order of each ``xs:sequence`` of the XSD, annotation
flags as empty elements (the schema fixes them to ``true``), enumerations from the model's
choices (which are the schema's values) and text through lxml (which escapes it). Characters
XML 1.0 cannot carry are dropped here as a last defence; the services refuse them on input.

The schema is parsed once per process (``schema()``) with a parser that resolves no
entities and reaches no network; it is read from ``settings.LIAISON_CYBERTIP_XSD`` so an
operator can drop in the schema NCMEC serves at ``/xsd`` when NCMEC revises it.

``fileViewedByEsp`` is decided by the caller from the access log (``viewed``): true only for
the files a named person was recorded viewing (United States v. Wilson, 9th Cir. 2021).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from lxml import etree  # type: ignore[import-untyped]

from reports.cybertip.models import PersonRole
from reports.cybertip.validation import phone_split

if TYPE_CHECKING:
    from reports.cybertip.models import CyberTipReport, InternetDetail, ReportFile, ReportPerson

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_parser() -> etree.XMLParser:
    """The only parser this app uses: no entity expansion, no DTD, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@functools.cache
def _schema_at(path: str) -> etree.XMLSchema:
    document = etree.parse(path, parser=safe_parser())
    return etree.XMLSchema(document)


def schema() -> etree.XMLSchema:
    """The compiled schema of ``LIAISON_CYBERTIP_XSD`` (compiled once per path and process)."""
    return _schema_at(str(Path(settings.LIAISON_CYBERTIP_XSD)))


def xml_text(value: str) -> str:
    """Text as XML 1.0 can carry it (control characters and lone surrogates dropped)."""
    return _INVALID_XML_CHARS.sub("", value)


def xml_datetime(moment: datetime, zone: str = "UTC") -> str:
    """ISO 8601 with the offset written out (``+hh:mm`` or ``Z``), as NCMEC requires."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        local = moment.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = moment.astimezone(UTC)
    text = local.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)
    if text is not None:
        element.text = xml_text(text)
    return element


def _opt(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        _sub(parent, tag, text)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _flags(parent: etree._Element, tag: str, flags: Iterable[str]) -> None:
    chosen = sorted(set(flags))
    if chosen:
        holder = _sub(parent, tag)
        for flag in chosen:
            _sub(holder, flag)  # an empty element: the schema fixes its value to true


def _phone(parent: etree._Element, tag: str, number: str) -> None:
    """E.164 numbers go out as national digits with ``countryCallingCode`` when the code
    can be read off (NCMEC: the number must not start with the calling code)."""
    code, national = phone_split(number)
    if code:
        _sub(parent, tag, national, countryCallingCode=code)
    else:
        _sub(parent, tag, number)


def _person_block(
    parent: etree._Element,
    tag: str,
    *,
    first: str,
    last: str,
    phones: Sequence[str],
    emails: Sequence[str],
    age: int | None = None,
    date_of_birth: Any = None,
    contact: bool = False,
) -> None:
    person = _sub(parent, tag)
    _opt(person, "firstName", first)
    _opt(person, "lastName", last)
    for number in phones:
        _phone(person, "phone", number)
    for email in emails:
        _sub(person, "email", email)
    if not contact:
        if age is not None:
            _sub(person, "age", str(age))
        if date_of_birth is not None:
            _sub(person, "dateOfBirth", date_of_birth.isoformat())


def _has_person_facts(p: ReportPerson) -> bool:
    return bool(
        p.first_name or p.last_name or p.emails or p.phones or p.age is not None or p.date_of_birth
    )


def _ip_event(parent: etree._Element, event: dict[str, Any], zone: str) -> None:
    capture = _sub(parent, "ipCaptureEvent")
    _sub(capture, "ipAddress", str(event["ip"]))
    _opt(capture, "eventName", event.get("event"))
    if event.get("at"):
        _sub(capture, "dateTime", xml_datetime(datetime.fromisoformat(event["at"]), zone))
    if event.get("proxy") is not None:
        _sub(capture, "possibleProxy", _bool(bool(event["proxy"])))
    if event.get("port"):
        _sub(capture, "port", str(int(event["port"])))


def _device(parent: etree._Element, device: dict[str, Any], zone: str) -> None:
    element = _sub(parent, "deviceId")
    _sub(element, "idType", str(device["type"]))
    _sub(element, "idValue", str(device["value"]))
    _opt(element, "eventName", device.get("event"))
    if device.get("at"):
        _sub(element, "dateTime", xml_datetime(datetime.fromisoformat(device["at"]), zone))


def _disabled(parent: etree._Element, person: ReportPerson) -> None:
    attrs = {}
    if person.disabled_at is not None:
        attrs["disabledDate"] = xml_datetime(person.disabled_at)
    if person.account_temporarily_disabled:
        _sub(parent, "accountTemporarilyDisabled", "true", **attrs)
    if person.account_permanently_disabled:
        _sub(parent, "accountPermanentlyDisabled", "true", **attrs)


def _account_facts(parent: etree._Element, p: ReportPerson, zone: str) -> None:
    """espIdentifier .. deviceId: the part the three person kinds share, in their order."""
    _opt(parent, "espIdentifier", p.esp_identifier)
    _opt(parent, "espService", p.esp_service)
    _opt(parent, "screenName", p.screen_name)
    for name in p.display_names:
        _sub(parent, "displayName", name)
    for url in p.profile_urls:
        _sub(parent, "profileUrl", url)
    for event in p.ip_events:
        _ip_event(parent, event, zone)
    for device in p.device_ids:
        _device(parent, device, zone)


def _reported(root: etree._Element, p: ReportPerson, prior: Sequence[int], zone: str) -> None:
    element = _sub(root, "personOrUserReported")
    if _has_person_facts(p):
        _person_block(
            element,
            "personOrUserReportedPerson",
            first=p.first_name,
            last=p.last_name,
            phones=p.phones,
            emails=p.emails,
            age=p.age,
            date_of_birth=p.date_of_birth,
        )
    _account_facts(element, p, zone)
    for report_id in prior:
        _sub(element, "priorCTReports", str(report_id))
    _disabled(element, p)
    _opt(element, "additionalInfo", p.additional_info)


def _recipient(root: etree._Element, p: ReportPerson, zone: str) -> None:
    element = _sub(root, "intendedRecipient")
    if _has_person_facts(p):
        _person_block(
            element,
            "intendedRecipientPerson",
            first=p.first_name,
            last=p.last_name,
            phones=p.phones,
            emails=p.emails,
            age=p.age,
            date_of_birth=p.date_of_birth,
        )
    _account_facts(element, p, zone)
    _disabled(element, p)
    _opt(element, "additionalInfo", p.additional_info)


def _victim(root: etree._Element, p: ReportPerson, zone: str) -> None:
    element = _sub(root, "victim")
    _person_block(  # victimPerson is required, even when empty
        element,
        "victimPerson",
        first=p.first_name,
        last=p.last_name,
        phones=p.phones,
        emails=p.emails,
        age=p.age,
        date_of_birth=p.date_of_birth,
    )
    _account_facts(element, p, zone)
    _disabled(element, p)
    _opt(element, "additionalInfo", p.additional_info)


def _detail(root: etree._Element, d: InternetDetail, zone: str) -> None:
    holder = _sub(root, "internetDetails")
    kind = d.kind
    if kind == "webPageIncident":
        attrs = {}
        if d.third_party_hosted is not None:
            attrs["thirdPartyHostedContent"] = _bool(d.third_party_hosted)
        element = _sub(holder, kind, **attrs)
        for url in d.urls:
            _sub(element, "url", url)
    elif kind in ("emailIncident", "newsgroupIncident"):
        element = _sub(holder, kind)
        if kind == "newsgroupIncident":
            _opt(element, "name", d.name)
        for email in d.email_addresses:
            _sub(element, "emailAddress", email)
        _opt(element, "content", d.content)
    elif kind == "chatImIncident":
        element = _sub(holder, kind)
        _opt(element, "chatClient", d.chat_client)
        _opt(element, "chatRoomName", d.chat_room_name)
        _opt(element, "content", d.content)
    elif kind == "onlineGamingIncident":
        element = _sub(holder, kind)
        _opt(element, "gameName", d.game_name)
        _opt(element, "console", d.console)
        _opt(element, "content", d.content)
    elif kind == "cellPhoneIncident":
        element = _sub(holder, kind)
        if d.phone_number:
            _phone(element, "phoneNumber", d.phone_number)
        if d.latitude is not None:
            _sub(element, "latitude", repr(float(d.latitude)))
        if d.longitude is not None:
            _sub(element, "longitude", repr(float(d.longitude)))
    elif kind == "nonInternetIncident":
        element = _sub(holder, kind)
        _opt(element, "locationName", d.location_name)
    elif kind == "peer2peerIncident":
        element = _sub(holder, kind)
        _opt(element, "client", d.p2p_client)
        _opt(element, "fileNames", d.file_names)
    else:  # the services allow only DetailKind values
        raise ValueError(f"unknown internet details kind {kind!r}")
    _opt(element, "additionalInfo", d.additional_info)


def report_element(
    report: CyberTipReport,
    *,
    details: Sequence[InternetDetail],
    persons: Sequence[ReportPerson],
    reporter: dict[str, str],
    contact: dict[str, str],
) -> etree._Element:
    """The ``<report>`` document of ``report`` (children given, so a caller loading many
    reports prefetches them once)."""
    zone = report.incident_time_zone or "UTC"
    root = etree.Element("report", nsmap={"xsi": XSI})
    root.set(f"{{{XSI}}}noNamespaceSchemaLocation", SCHEMA_LOCATION)
    summary = _sub(root, "incidentSummary")
    _sub(summary, "incidentType", report.incident_type)
    _opt(summary, "platform", report.platform)
    _opt(summary, "escalateToHighPriority", report.escalate_text.strip())
    _flags(summary, "reportAnnotations", report.annotations)
    _sub(summary, "incidentDateTime", xml_datetime(report.incident_at, zone))
    _opt(summary, "incidentDateTimeDescription", report.incident_time_description)
    for detail in details:
        _detail(root, detail, zone)
    if report.le_agency_name:
        le = _sub(root, "lawEnforcement")
        _sub(le, "agencyName", report.le_agency_name)
        _opt(le, "caseNumber", report.le_case_number)
        officer = (
            report.le_officer_first_name,
            report.le_officer_last_name,
            report.le_officer_phone,
            report.le_officer_email,
        )
        if any(officer):
            _person_block(
                le,
                "officerContact",
                first=officer[0],
                last=officer[1],
                phones=[officer[2]] if officer[2] else [],
                emails=[officer[3]] if officer[3] else [],
                contact=True,
            )
        if report.le_reported_to is not None:
            _sub(le, "reportedToLe", _bool(report.le_reported_to))
        if report.le_served_domestic is not None:
            _sub(le, "servedLegalProcessDomestic", _bool(report.le_served_domestic))
        if report.le_served_international is not None:
            attrs = {"fleaCountry": report.le_flea_country} if report.le_flea_country else {}
            _sub(
                le,
                "servedLegalProcessInternational",
                _bool(report.le_served_international),
                **attrs,
            )
    rep = _sub(root, "reporter")
    _person_block(
        rep,
        "reportingPerson",
        first=reporter.get("first_name", ""),
        last=reporter.get("last_name", ""),
        phones=[reporter["phone"]] if reporter.get("phone") else [],
        emails=[reporter["email"]] if reporter.get("email") else [],
    )
    if any(contact.get(k) for k in ("first_name", "last_name", "phone", "email")):
        _person_block(
            rep,
            "contactPerson",
            first=contact.get("first_name", ""),
            last=contact.get("last_name", ""),
            phones=[contact["phone"]] if contact.get("phone") else [],
            emails=[contact["email"]] if contact.get("email") else [],
            contact=True,
        )
    for person in persons:
        if person.role == PersonRole.REPORTED:
            _reported(root, person, report.prior_report_ids, zone)
    for person in persons:
        if person.role == PersonRole.INTENDED_RECIPIENT:
            _recipient(root, person, zone)
    for person in persons:
        if person.role == PersonRole.VICTIM:
            _victim(root, person, zone)
    _opt(root, "additionalInfo", report.additional_info)
    return root


def file_details_element(
    file: ReportFile,
    *,
    ncmec_report_id: int,
    ncmec_file_id: str,
    viewed: bool,
    exif_viewed: bool,
) -> etree._Element:
    """The ``<fileDetails>`` of one uploaded file, in the XSD's order."""
    root = etree.Element("fileDetails", nsmap={"xsi": XSI})
    root.set(f"{{{XSI}}}noNamespaceSchemaLocation", SCHEMA_LOCATION)
    _sub(root, "reportId", str(ncmec_report_id))
    _sub(root, "fileId", ncmec_file_id)
    _sub(root, "originalFileName", file.original_name)
    if file.uploaded_to_esp_at is not None:
        _sub(root, "uploadedToEspTimestamp", xml_datetime(file.uploaded_to_esp_at))
    _opt(root, "locationOfFile", file.location_of_file)
    _sub(root, "fileViewedByEsp", _bool(viewed))
    _sub(root, "exifViewedByEsp", _bool(exif_viewed))
    if file.publicly_available is not None:
        _sub(root, "publiclyAvailable", _bool(file.publicly_available))
    _sub(root, "fileRelevance", file.relevance)
    _flags(root, "fileAnnotations", file.annotations)
    _opt(root, "industryClassification", file.industry_classification)
    _sub(root, "originalFileHash", file.md5, hashType="MD5")
    _sub(root, "originalFileHash", file.sha256, hashType="SHA256")
    if file.pdq:
        _sub(root, "originalFileHash", file.pdq, hashType="PDQ")
    if file.uploader_ip:
        capture = _sub(root, "ipCaptureEvent")
        _sub(capture, "ipAddress", file.uploader_ip)
        _sub(capture, "eventName", "Upload")
        if file.uploaded_to_esp_at is not None:
            _sub(capture, "dateTime", xml_datetime(file.uploaded_to_esp_at))
    _opt(root, "additionalInfo", file.additional_info)
    return root


def serialise(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def schema_errors(element: etree._Element) -> list[str]:
    """What the schema says is wrong with ``element`` (empty when valid)."""
    validator = schema()
    if validator.validate(element):
        return []
    return [f"line {e.line}: {e.message}" for e in validator.error_log]


def parse(data: bytes) -> etree._Element:
    """Parse XML from outside (NCMEC's answers, a test server's input) safely."""
    return etree.fromstring(data, parser=safe_parser())
