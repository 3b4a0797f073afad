"""Forms of the review UI. They translate input into the services' dataclasses and show the
services' field errors; they decide nothing (the services do)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.cybertip.models import (
    CyberTipReport,
    DetailKind,
    FileAnnotation,
    IncidentType,
    IndustryClassification,
    PersonRole,
    ReportAnnotation,
)
from reports.cybertip.services import DetailInput, PersonInput, ReportInput

ZONES = sorted(zoneinfo.available_timezones())


def _lines(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


class ReportForm(forms.Form):
    """The draft: the incident, the reported user, where it happened, police, notes."""

    incident_type = forms.ChoiceField(label=_("Incident type"), choices=IncidentType.choices)
    incident_at = forms.DateTimeField(
        label=_("Incident time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("In the time zone below."),
    )
    incident_time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[(z, z) for z in ZONES], initial="UTC"
    )
    annotations = forms.MultipleChoiceField(
        label=_("Annotations"),
        choices=ReportAnnotation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    escalate_text = forms.CharField(
        label=_("Escalate to high priority"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only for an ongoing live stream or an imminent risk to a child: say why."),
    )
    esp_identifier = forms.CharField(label=_("Reported user's account id"), required=False)
    screen_name = forms.CharField(label=_("Screen name"), required=False)
    emails = forms.CharField(
        label=_("Reported user's e-mail addresses"), required=False, help_text=_("One per line.")
    )
    ip_address = forms.CharField(label=_("Upload or login IP"), required=False)
    account_disabled = forms.BooleanField(label=_("Account disabled"), required=False)
    detail_kind = forms.ChoiceField(
        label=_("Where it happened"), choices=[("", "—"), *DetailKind.choices], required=False
    )
    detail_urls = forms.CharField(label=_("URLs"), required=False, help_text=_("One per line."))
    detail_chat_client = forms.CharField(label=_("Chat client"), required=False)
    detail_content = forms.CharField(
        label=_("Content (e.g. the chat text)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    victim_age = forms.IntegerField(label=_("Child's age, if known"), required=False, min_value=0)
    le_agency_name = forms.CharField(label=_("Police agency (if already told)"), required=False)
    le_case_number = forms.CharField(label=_("Agency case number"), required=False)
    prior_report_ids = forms.CharField(
        label=_("Prior CyberTipline report numbers"), required=False, help_text=_("One per line.")
    )
    additional_info = forms.CharField(
        label=_("Additional information"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_prior_report_ids(self) -> list[int]:
        values = _lines(self.cleaned_data.get("prior_report_ids") or "")
        if not all(v.isdigit() for v in values):
            raise forms.ValidationError(_("Report numbers are digits."))
        return [int(v) for v in values]

    def clean_incident_at(self) -> Any:
        value = self.cleaned_data["incident_at"]
        zone = self.data.get(self.add_prefix("incident_time_zone")) or "UTC"
        if value is not None and zone in ZONES:
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        return value

    def to_input(self) -> ReportInput:
        data = self.cleaned_data
        persons = []
        if data["esp_identifier"] or data["screen_name"] or data["emails"] or data["ip_address"]:
            persons.append(
                PersonInput(
                    role=PersonRole.REPORTED,
                    esp_identifier=data["esp_identifier"].strip(),
                    screen_name=data["screen_name"].strip(),
                    emails=_lines(data["emails"]),
                    ip_events=[{"ip": data["ip_address"].strip()}] if data["ip_address"] else [],
                    account_permanently_disabled=data["account_disabled"],
                )
            )
        if data.get("victim_age") is not None:
            persons.append(PersonInput(role=PersonRole.VICTIM, age=data["victim_age"]))
        details = []
        if data["detail_kind"]:
            kind = data["detail_kind"]
            values: dict[str, Any] = {"kind": kind}
            if kind == DetailKind.WEB_PAGE:
                values["urls"] = _lines(data["detail_urls"])
            if kind == DetailKind.CHAT_IM:
                values["chat_client"] = data["detail_chat_client"]
            if kind in (
                DetailKind.CHAT_IM,
                DetailKind.EMAIL,
                DetailKind.NEWSGROUP,
                DetailKind.ONLINE_GAMING,
            ):
                values["content"] = data["detail_content"]
            elif data["detail_content"]:
                values["additional_info"] = data["detail_content"]
            details.append(DetailInput(**values))
        return ReportInput(
            incident_type=data["incident_type"],
            incident_at=data["incident_at"],
            incident_time_zone=data["incident_time_zone"],
            annotations=list(data["annotations"]),
            escalate_text=data["escalate_text"],
            le_agency_name=data["le_agency_name"],
            le_case_number=data["le_case_number"],
            additional_info=data["additional_info"],
            prior_report_ids=data["prior_report_ids"],
            persons=persons,
            details=details,
        )

    @classmethod
    def initial_for(cls, report: CyberTipReport) -> dict[str, Any]:
        zone = zoneinfo.ZoneInfo(report.incident_time_zone or "UTC")
        reported = next((p for p in report.persons.all() if p.role == PersonRole.REPORTED), None)
        victim = next((p for p in report.persons.all() if p.role == PersonRole.VICTIM), None)
        detail = next(iter(report.internet_details.all()), None)
        return {
            "incident_type": report.incident_type,
            "incident_at": report.incident_at.astimezone(zone).replace(tzinfo=None),
            "incident_time_zone": report.incident_time_zone,
            "annotations": report.annotations,
            "escalate_text": report.escalate_text,
            "esp_identifier": reported.esp_identifier if reported else "",
            "screen_name": reported.screen_name if reported else "",
            "emails": "\n".join(reported.emails) if reported else "",
            "ip_address": reported.ip_events[0]["ip"] if reported and reported.ip_events else "",
            "account_disabled": bool(reported and reported.account_permanently_disabled),
            "detail_kind": detail.kind if detail else "",
            "detail_urls": "\n".join(detail.urls) if detail else "",
            "detail_chat_client": detail.chat_client if detail else "",
            "detail_content": (detail.content or detail.additional_info) if detail else "",
            "victim_age": victim.age if victim else None,
            "le_agency_name": report.le_agency_name,
            "le_case_number": report.le_case_number,
            "prior_report_ids": "\n".join(str(i) for i in report.prior_report_ids),
            "additional_info": report.additional_info,
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show the service's field errors on the matching form fields."""
        mapping = {
            "persons.0.emails": "emails",
            "persons.0.ip_events": "ip_address",
            "persons.0.esp_identifier": "esp_identifier",
            "details.0": "detail_urls",
            "prior_report_ids": "prior_report_ids",
        }
        for key, messages in errors.items():
            target = key if key in self.fields else None
            for prefix, field in mapping.items():
                if target is None and key.startswith(prefix):
                    target = field
            for message in messages:
                self.add_error(target, message)


class FileUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    supplemental = forms.BooleanField(
        label=_("Supplemental (e.g. a chat log as CSV)"), required=False
    )


class FileClassifyForm(forms.Form):
    industry_classification = forms.ChoiceField(
        label=_("Industry classification"),
        choices=[("", "—"), *IndustryClassification.choices],
        required=False,
    )
    annotations = forms.MultipleChoiceField(
        label=_("File annotations"),
        choices=FileAnnotation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ReferralForm(forms.Form):
    """Urgent referral: to which verified agency, on which basis, what and why."""

    agency: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Verified agency"),
        queryset=None,
    )
    basis = forms.ChoiceField(label=_("Legal basis"), choices=[])
    emergency = forms.CharField(
        label=_("The emergency"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Danger of death or serious physical injury: to whom, and why now."),
    )
    disclosed = forms.CharField(
        label=_("What is disclosed"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from portal.accounts.models import Agency
        from reports.cybertip.models import ReferralBasis

        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            status=Agency.Status.ACTIVE
        ).order_by("name")
        self.fields["basis"].choices = ReferralBasis.choices  # type: ignore[attr-defined]
