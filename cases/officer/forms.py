"""Forms of the officer portal. They shape input for ``case_submit`` and the actions; the
rules (jurisdiction, targets, document checks, deadlines) are the services'."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.forms import DateInput, targets_parse
from cases.models import CaseStatus, DataCategory, ReceivedVia
from cases.officer.selectors import OFFICER_KINDS


def _cap(choices: Any) -> list[tuple[Any, Any]]:
    return [(value, capfirst(label)) for value, label in choices]


class RequestForm(forms.Form):
    """A new request, as the officer types it."""

    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    kind = forms.ChoiceField(label=_("Kind of legal process"), choices=OFFICER_KINDS)
    jurisdiction = forms.CharField(
        label=_("Jurisdiction"),
        max_length=6,
        help_text=_("Where it was issued: ISO 3166 country (US) or subdivision (US-CA)."),
    )
    issuing_authority = forms.CharField(
        label=_("Issuing court or authority"),
        required=False,
        max_length=300,
        help_text=_("Empty: your agency."),
    )
    authority_reference = forms.CharField(
        label=_("Docket or reference"), required=False, max_length=120
    )
    agency_case_number = forms.CharField(label=_("Your case number"), required=False, max_length=64)
    targets = forms.CharField(
        label=_("Targets"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono", "spellcheck": "false"}),
        help_text=_(
            "One per line as type:value, e.g. email:someone@example.com, phone:+12025550123, "
            "username:jdoe, account:10001, ip:192.0.2.7, url:https://example.com/p/1. "
            "E-mail addresses, +phone numbers, IPs and URLs need no type."
        ),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Records requested"),
        required=False,
        choices=_cap(DataCategory.choices),
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = forms.DateField(label=_("Records from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Records until"), required=False, widget=DateInput())
    return_date = forms.DateField(
        label=_("Return date"),
        required=False,
        widget=DateInput(),
        help_text=_("As stated on the process; it sets the response deadline."),
    )
    ndo = forms.BooleanField(label=_("A non-disclosure order accompanies it"), required=False)
    ndo_expires_on = forms.DateField(
        label=_("Non-disclosure order expires on"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the order states no end date."),
    )
    emergency = forms.BooleanField(
        label=_("Emergency: danger of death or serious physical injury"), required=False
    )
    emergency_justification = forms.CharField(
        label=_("Why it is an emergency"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    document = forms.FileField(
        label=_("Legal process (PDF)"),
        required=False,
        help_text=_("The signed document, as PDF (a scan as PNG, JPEG or TIFF works too)."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,application/pdf,image/png,image/jpeg,image/tiff"}
        ),
    )

    def __init__(self, *args: Any, agency: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agency = agency
        if not self.is_bound:
            # A fresh key per form: a double click or a resent POST files one request.
            self.initial.setdefault("submission_key", uuid.uuid4().hex)
            self.initial.setdefault("jurisdiction", agency.subdivision or agency.country)

    def clean_jurisdiction(self) -> str:
        return self.cleaned_data["jurisdiction"].strip().upper()

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned input as ``case_submit`` keyword arguments."""
        data = self.cleaned_data
        jurisdiction = data["jurisdiction"]
        return {
            "key": data["submission_key"],
            "kind": data["kind"],
            "country": jurisdiction[:2],
            "subdivision": jurisdiction if "-" in jurisdiction else "",
            "issuing_authority": data.get("issuing_authority") or self.agency.name,
            "authority_reference": data.get("authority_reference") or "",
            "agency_case_number": data.get("agency_case_number") or "",
            "targets": targets_parse(data["targets"]),
            "data_categories": data.get("data_categories") or [],
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "return_date": data.get("return_date"),
            "ndo": data.get("ndo", False) or data.get("ndo_expires_on") is not None,
            "ndo_expires_on": data.get("ndo_expires_on"),
            "emergency": data.get("emergency", False),
            "emergency_justification": data.get("emergency_justification") or "",
            "document": data.get("document"),
            "received_via": ReceivedVia.PORTAL,
        }


# Service argument names the form shows under another field.
FORM_FIELDS = {"country": "jurisdiction", "subdivision": "jurisdiction"}


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *_cap(CaseStatus.choices)]
    )


class ExtendForm(forms.Form):
    note = forms.CharField(
        label=_("Renewed request"),
        required=False,
        max_length=500,
        help_text=_("E.g. the date and reference of your renewal letter."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the request withdrawn?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
