"""Field-by-field checks of a report before anything is sent to NCMEC.

The XSD checks structure; NCMEC's API documentation adds rules the schema cannot express
(the reporter's e-mail is required, times must be in the past and carry a zone, an
incident's e-mail address must also be given for a person, lengths, port ranges). A
report that breaks one is refused here with a message per field, so a person fixes it
before submission instead of reading a 4100 from NCMEC afterwards.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.cybertip.models import (
    DetailKind,
    FileAnnotation,
    IncidentType,
    IndustryClassification,
    ReportAnnotation,
)

CLOCK_SKEW = timedelta(minutes=5)
IP_EVENTS = ("Login", "Registration", "Purchase", "Upload", "Other", "Unknown")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_email = EmailValidator()
_url = URLValidator(schemes=["http", "https", "ftp"])

# The fields each internet-details kind may carry (the rest must stay empty).
DETAIL_FIELDS: dict[str, frozenset[str]] = {
    DetailKind.WEB_PAGE: frozenset({"urls", "third_party_hosted", "additional_info"}),
    DetailKind.EMAIL: frozenset({"email_addresses", "content", "additional_info"}),
    DetailKind.NEWSGROUP: frozenset({"name", "email_addresses", "content", "additional_info"}),
    DetailKind.CHAT_IM: frozenset({"chat_client", "chat_room_name", "content", "additional_info"}),
    DetailKind.ONLINE_GAMING: frozenset({"game_name", "console", "content", "additional_info"}),
    DetailKind.CELL_PHONE: frozenset({"phone_number", "latitude", "longitude", "additional_info"}),
    DetailKind.NON_INTERNET: frozenset({"location_name", "additional_info"}),
    DetailKind.PEER_TO_PEER: frozenset({"p2p_client", "file_names", "additional_info"}),
}
DETAIL_COLUMNS = frozenset().union(*DETAIL_FIELDS.values())


class Problems:
    """Collects messages keyed by field path (``persons.0.emails``)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def text_check(
    problems: Problems, field: str, value: str, *, max_length: int | None = None
) -> None:
    if _CONTROL.search(value or ""):
        problems.add(field, _("Contains control characters that XML cannot carry."))
    if max_length is not None and len(value or "") > max_length:
        problems.add(field, _("At most %(n)s characters (NCMEC's limit).") % {"n": max_length})


def email_check(problems: Problems, field: str, value: str) -> None:
    try:
        _email(value)
    except ValidationError:
        problems.add(field, _("%(value)s is not a well-formed e-mail address.") % {"value": value})
        return
    if len(value) > 255 or len(value.split("@", 1)[0]) > 64:
        problems.add(field, _("E-mail address too long for NCMEC (255, local part 64)."))


@functools.lru_cache(maxsize=8192)
def phone_split(number: str) -> tuple[str, str]:
    """``+15555550123`` -> (``+1``, ``5555550123``); anything unparsable -> ("", number)."""
    if not number.startswith("+"):
        return "", number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "", number
    return f"+{parsed.country_code}", str(parsed.national_number)


def phone_check(problems: Problems, field: str, value: str) -> None:
    if len(value) > 50 or not re.fullmatch(r"\+?[0-9 ()./-]{3,50}", value):
        problems.add(field, _("%(value)s is not a phone number.") % {"value": value})


def past_check(problems: Problems, field: str, moment: datetime | None, now: datetime) -> None:
    if moment is not None and moment > now + CLOCK_SKEW:
        problems.add(field, _("Must be in the past (NCMEC refuses future times)."))


def ip_events_check(problems: Problems, field: str, events: Any, now: datetime) -> None:
    if not isinstance(events, list):
        problems.add(field, _("A list of IP capture events is expected."))
        return
    for index, event in enumerate(events):
        path = f"{field}.{index}"
        if not isinstance(event, dict) or set(event) - {"ip", "event", "at", "port", "proxy"}:
            problems.add(path, _("Unknown fields in an IP capture event."))
            continue
        try:
            ipaddress.ip_address(str(event.get("ip", "")))
        except ValueError:
            problems.add(path, _("%(ip)s is not an IP address.") % {"ip": event.get("ip", "")})
        if event.get("event") and event["event"] not in IP_EVENTS:
            problems.add(path, _("Event must be one of %(v)s.") % {"v": ", ".join(IP_EVENTS)})
        moment_check(problems, path, event.get("at"), now)
        port = event.get("port")
        if port is not None and (not isinstance(port, int) or not 1 <= port <= 65535):
            problems.add(path, _("Port must be between 1 and 65535."))
        if event.get("proxy") is not None and not isinstance(event["proxy"], bool):
            problems.add(path, _("Possible proxy is yes or no."))


def moment_check(problems: Problems, path: str, value: Any, now: datetime) -> None:
    if not value:
        return
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        problems.add(path, _("Time must be ISO 8601."))
        return
    if moment.tzinfo is None:
        problems.add(path, _("Time must carry its time zone."))
        return
    past_check(problems, path, moment, now)


def device_ids_check(problems: Problems, field: str, devices: Any, now: datetime) -> None:
    if not isinstance(devices, list):
        problems.add(field, _("A list of device ids is expected."))
        return
    for index, device in enumerate(devices):
        path = f"{field}.{index}"
        if not isinstance(device, dict) or set(device) - {"type", "value", "event", "at"}:
            problems.add(path, _("Unknown fields in a device id."))
            continue
        kind, value = str(device.get("type", "")).strip(), str(device.get("value", "")).strip()
        if not kind or len(kind) > 255:
            problems.add(path, _("The device id type (e.g. IMEI) is required, 255 at most."))
        if not value or len(value) > 2083:
            problems.add(path, _("The device id value is required, 2083 at most."))
        if device.get("event") and device["event"] not in IP_EVENTS:
            problems.add(path, _("Event must be one of %(v)s.") % {"v": ", ".join(IP_EVENTS)})
        moment_check(problems, path, device.get("at"), now)


def report_fields_check(problems: Problems, values: Mapping[str, Any], now: datetime) -> None:
    """The report's own fields (not its persons, details or files)."""
    if values.get("incident_type") not in IncidentType.values:
        problems.add("incident_type", _("Choose one of NCMEC's incident types."))
    incident_at = values.get("incident_at")
    if incident_at is None:
        problems.add("incident_at", _("The incident time is required."))
    elif incident_at.tzinfo is None:
        problems.add("incident_at", _("The incident time must carry its time zone."))
    else:
        past_check(problems, "incident_at", incident_at, now)
    zone = values.get("incident_time_zone") or "UTC"
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.add("incident_time_zone", _("Unknown time zone %(z)s.") % {"z": zone})
    for name, limit in (
        ("incident_time_description", 3000),
        ("platform", 256),
        ("escalate_text", 3000),
        ("additional_info", None),
        ("le_agency_name", 255),
        ("le_case_number", 100),
        ("le_officer_first_name", 100),
        ("le_officer_last_name", 100),
    ):
        text_check(problems, name, values.get(name) or "", max_length=limit)
    escalate = values.get("escalate_text") or ""
    if escalate and not escalate.strip():
        problems.add("escalate_text", _("Say why the report is urgent, or leave it empty."))
    unknown = set(values.get("annotations") or []) - set(ReportAnnotation.values)
    if unknown:
        problems.add("annotations", _("Unknown annotations: %(a)s") % {"a": ", ".join(unknown)})
    officer_fields = (
        "le_case_number",
        "le_officer_first_name",
        "le_officer_last_name",
        "le_officer_email",
        "le_officer_phone",
        "le_flea_country",
    )
    if not values.get("le_agency_name") and (
        any(values.get(f) for f in officer_fields)
        or any(
            values.get(f) is not None
            for f in ("le_reported_to", "le_served_domestic", "le_served_international")
        )
    ):
        problems.add("le_agency_name", _("Name the agency the other police details are about."))
    if values.get("le_officer_email"):
        email_check(problems, "le_officer_email", values["le_officer_email"])
    if values.get("le_officer_phone"):
        phone_check(problems, "le_officer_phone", values["le_officer_phone"])
    flea = values.get("le_flea_country") or ""
    if flea and not re.fullmatch(r"[A-Z]{2}", flea):
        problems.add("le_flea_country", _("ISO 3166-1 alpha-2 country code, e.g. DE."))
    for index, prior in enumerate(values.get("prior_report_ids") or []):
        if not isinstance(prior, int) or prior <= 0:
            problems.add(f"prior_report_ids.{index}", _("A CyberTipline report number."))


def person_check(problems: Problems, field: str, values: Mapping[str, Any], now: datetime) -> None:
    for name, limit in (
        ("first_name", 100),
        ("last_name", 100),
        ("esp_identifier", 255),
        ("esp_service", 255),
        ("screen_name", 255),
        ("additional_info", None),
    ):
        text_check(problems, f"{field}.{name}", values.get(name) or "", max_length=limit)
    for index, email in enumerate(values.get("emails") or []):
        email_check(problems, f"{field}.emails.{index}", email)
    for index, phone in enumerate(values.get("phones") or []):
        phone_check(problems, f"{field}.phones.{index}", phone)
    for index, name in enumerate(values.get("display_names") or []):
        text_check(problems, f"{field}.display_names.{index}", name, max_length=255)
    for index, url in enumerate(values.get("profile_urls") or []):
        url_check(problems, f"{field}.profile_urls.{index}", url)
    age = values.get("age")
    if age is not None and not 0 <= age <= 130:
        problems.add(f"{field}.age", _("An age in years."))
    ip_events_check(problems, f"{field}.ip_events", values.get("ip_events") or [], now)
    device_ids_check(problems, f"{field}.device_ids", values.get("device_ids") or [], now)
    past_check(problems, f"{field}.disabled_at", values.get("disabled_at"), now)


def url_check(problems: Problems, field: str, url: str) -> None:
    try:
        _url(url)
    except ValidationError:
        problems.add(field, _("%(url)s is not a valid URL.") % {"url": url})
        return
    if len(url) > 2083:
        problems.add(field, _("At most 2083 characters (NCMEC's limit)."))


def detail_check(problems: Problems, field: str, values: Mapping[str, Any]) -> None:
    kind = values.get("kind")
    if kind not in DETAIL_FIELDS:
        problems.add(f"{field}.kind", _("Choose where the incident happened."))
        return
    allowed = DETAIL_FIELDS[kind]
    for name in DETAIL_COLUMNS - allowed:
        if values.get(name) not in (None, "", [], ()):
            problems.add(f"{field}.{name}", _("Not part of this kind of incident."))
    for index, url in enumerate(values.get("urls") or []):
        url_check(problems, f"{field}.urls.{index}", url)
    for index, email in enumerate(values.get("email_addresses") or []):
        email_check(problems, f"{field}.email_addresses.{index}", email)
    for name in ("name", "chat_client", "chat_room_name", "game_name", "console", "location_name"):
        text_check(problems, f"{field}.{name}", values.get(name) or "", max_length=255)
    if values.get("p2p_client"):
        text_check(problems, f"{field}.p2p_client", values["p2p_client"], max_length=255)
    for name in ("content", "additional_info", "file_names"):
        text_check(problems, f"{field}.{name}", values.get(name) or "")
    if values.get("phone_number"):
        phone_check(problems, f"{field}.phone_number", values["phone_number"])
    lat, lon = values.get("latitude"), values.get("longitude")
    if lat is not None and not -90 <= lat <= 90:
        problems.add(f"{field}.latitude", _("Latitude between -90 and 90."))
    if lon is not None and not -180 <= lon <= 180:
        problems.add(f"{field}.longitude", _("Longitude between -180 and 180."))


def cross_check(
    problems: Problems,
    *,
    details: Sequence[Mapping[str, Any]],
    persons: Sequence[Mapping[str, Any]],
    prior_report_ids: Sequence[int],
) -> None:
    """Rules across sections (NCMEC API documentation, appendix B)."""
    from reports.cybertip.models import PersonRole

    reported = [p for p in persons if p.get("role") == PersonRole.REPORTED]
    if len(reported) > 1:
        problems.add("persons", _("A report names one reported person or user."))
    if prior_report_ids and not reported:
        problems.add(
            "prior_report_ids", _("A follow-up cites prior reports for a reported user: add one.")
        )
    known = {e.lower() for p in persons for e in (p.get("emails") or [])}
    for index, detail in enumerate(details):
        for position, email in enumerate(detail.get("email_addresses") or []):
            if email.lower() not in known:
                problems.add(
                    f"details.{index}.email_addresses.{position}",
                    _("NCMEC requires this address also as a person's e-mail in the report."),
                )


def reporter_check(problems: Problems, reporter: Mapping[str, str]) -> None:
    """The reporter is the provider, from settings (LIAISON_CYBERTIP_REPORTER_*)."""
    email = (reporter.get("email") or "").strip()
    if not email:
        problems.add(
            "reporter.email",
            _(
                "The reporter's e-mail is required by NCMEC and is not configured "
                "(set LIAISON_CYBERTIP_REPORTER_EMAIL)."
            ),
        )
    else:
        email_check(problems, "reporter.email", email)


def file_check(problems: Problems, field: str, values: Mapping[str, Any]) -> None:
    unknown = set(values.get("annotations") or []) - set(FileAnnotation.values)
    if unknown:
        problems.add(f"{field}.annotations", _("Unknown file annotations."))
    classification = values.get("industry_classification") or ""
    if classification and classification not in IndustryClassification.values:
        problems.add(f"{field}.industry_classification", _("A1, A2, B1 or B2."))
    if values.get("location_of_file"):
        url_check(problems, f"{field}.location_of_file", values["location_of_file"])
    text_check(
        problems, f"{field}.original_name", values.get("original_name") or "", max_length=255
    )


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def strip_all(values: Iterable[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]
