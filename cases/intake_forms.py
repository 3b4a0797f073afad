"""Intake forms: legal process typed in by staff, the officer portal's request (which
shares ``ProcessFieldsForm``), and a child-safety incident. They shape input into one
``IntakeInput`` (``intake_input``); ``case_intake`` decides everything else.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.forms import QuickSelect, _cap
from cases.models import CaseType, Priority, ProcessKind, ReceivedVia, TargetKind
from cases.services import (
    INCIDENT_SOURCES,
    IntakeInput,
    TargetInput,
    incident_authority,
    intake_input,
)
from cases.targets import target_guess_kind
from portal.accounts.models import Agency
from portal.datetimes import IsoDateField, LocalDateTimeField, zone_help

TARGET_ALIASES = {
    "email": TargetKind.EMAIL,
    "e-mail": TargetKind.EMAIL,
    "mail": TargetKind.EMAIL,
    "phone": TargetKind.PHONE,
    "tel": TargetKind.PHONE,
    "username": TargetKind.USERNAME,
    "user": TargetKind.USERNAME,
    "account": TargetKind.ACCOUNT_ID,
    "account_id": TargetKind.ACCOUNT_ID,
    "id": TargetKind.ACCOUNT_ID,
    "ip": TargetKind.IP,
    "url": TargetKind.URL,
}


def target_lines_parse(text: str) -> list[TargetInput]:
    """One identifier per line, ``type:value`` or a bare value whose type is evident
    (e-mail, +phone, IP, http(s) URL). Lines with no recognisable type are passed on with
    an empty kind, so ``case_intake`` reports them by line number with the rest."""
    found: list[TargetInput] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        prefix, sep, rest = line.partition(":")
        kind = TARGET_ALIASES.get(prefix.strip().lower()) if sep else None
        if kind is not None and not rest.startswith("//"):
            found.append(TargetInput(kind=kind, value=rest.strip()))
            continue
        found.append(TargetInput(kind=target_guess_kind(line) or "", value=line))
    return found


class ProcessFieldsForm(forms.Form):
    """The fields every intake of legal process shares, staff and officer alike: one
    definition, one set of labels, one partial template each (cases/partials/intake_*)."""

    kind = forms.ChoiceField(
        label=_("Kind of legal process"), choices=ProcessKind.choices, widget=QuickSelect
    )
    issuing_authority = forms.CharField(
        label=_("Issuing court or authority"),
        required=False,
        max_length=300,
        help_text=_("Empty: the agency's name."),
    )
    authority_reference = forms.CharField(
        label=_("Docket or reference"), required=False, max_length=120
    )
    return_date = IsoDateField(
        label=_("Return date"),
        required=False,
        help_text=_("As stated on the process; it sets the response deadline."),
    )
    targets = forms.CharField(
        label=_("Targets"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono", "spellcheck": "false"}),
        help_text=_(
            "One per line as type:value, e.g. email:someone@example.com, phone:+12025550123, "
            "username:jdoe, account:10001, ip:192.0.2.7, url:https://example.com/p/1. "
            "E-mail addresses, +phone numbers, IPs and URLs need no type."
        ),
    )
    ndo = forms.BooleanField(label=_("A non-disclosure order accompanies it"), required=False)
    ndo_expires_on = IsoDateField(
        label=_("Non-disclosure order expires on"),
        required=False,
        help_text=_("Empty: the order states no end date. A date implies the order."),
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
        label=_("Legal process document"),
        required=False,
        help_text=_("The signed document, as PDF (a scan as PNG, JPEG or TIFF works too)."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,application/pdf,image/png,image/jpeg,image/tiff"}
        ),
    )

    def process_arguments(self) -> dict[str, Any]:
        """The shared fields, cleaned, as ``intake_input`` keyword arguments."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "issuing_authority": data.get("issuing_authority") or "",
            "authority_reference": data.get("authority_reference") or "",
            "return_date": data.get("return_date"),
            "targets": target_lines_parse(data.get("targets", "")),
            "ndo": data.get("ndo", False),
            "ndo_expires_on": data.get("ndo_expires_on"),
            "emergency": data.get("emergency", False),
            "emergency_justification": data.get("emergency_justification") or "",
            "document": data.get("document"),
        }


class IntakeForm(ProcessFieldsForm):
    """Legal process that arrived by e-mail, fax or post, typed in by staff."""

    received_via = forms.ChoiceField(
        label=_("Arrived by"),
        choices=_cap(
            [
                (ReceivedVia.EMAIL, ReceivedVia.EMAIL.label),
                (ReceivedVia.FAX, ReceivedVia.FAX.label),
                (ReceivedVia.MAIL, ReceivedVia.MAIL.label),
            ]
        ),
    )
    received_at = LocalDateTimeField(label=_("Received at"))
    # No max_length: a browser's maxlength cuts what is typed without a word ("Illinois"
    # became "Illino"); the service refuses what names no jurisdiction (JURISDICTION_MAX).
    country = forms.CharField(
        label=_("Country"),
        required=False,
        widget=forms.TextInput(attrs={"list": "jurisdiction-choices", "autocomplete": "off"}),
        help_text=_(
            "A name or ISO 3166-1 code, e.g. Germany, US, GB. Empty: the agency's country."
        ),
    )
    subdivision = forms.CharField(
        label=_("State or region"),
        required=False,
        widget=forms.TextInput(attrs={"list": "jurisdiction-choices", "autocomplete": "off"}),
        help_text=_("A name or ISO 3166-2 code, e.g. Illinois, US-CA (optional)."),
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        required=False,
        queryset=Agency.objects.filter(status=Agency.Status.ACTIVE).order_by("name"),
        empty_label=_("Not a registered agency"),
        widget=QuickSelect,
    )
    summary = forms.CharField(label=_("Summary"), required=False, max_length=300)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=_cap(Priority.choices),
        coerce=int,
        initial=Priority.NORMAL,
    )
    period_ends_on = IsoDateField(
        label=_("Authorised period ends on"),
        required=False,
        help_text=_("Pen register, trap and trace, wiretap: the end the order states."),
    )
    foreign_offence = forms.BooleanField(
        label=_("Foreign offence"), required=False, help_text=_("Canada 487.012(3)(b).")
    )
    enforcing_state_notified = forms.BooleanField(
        label=_("Enforcing state notified"), required=False, help_text=_("EU 2023/1543 Art. 8.")
    )

    EXTRA = ("priority", "period_ends_on", "foreign_offence", "enforcing_state_notified")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].help_text = zone_help()
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("received_at", now)

    @property
    def extra_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.EXTRA]

    def intake_data(self) -> IntakeInput:
        """The cleaned input for ``case_intake`` (defaults and implications are its own)."""
        data = self.cleaned_data
        return intake_input(
            **self.process_arguments(),
            received_via=data["received_via"],
            received_at=data["received_at"],
            country=data.get("country") or "",
            subdivision=data.get("subdivision") or "",
            agency=data.get("agency"),
            summary=data.get("summary") or "",
            priority=data.get("priority"),
            period_ends_on=data.get("period_ends_on"),
            foreign_offence=data.get("foreign_offence", False),
            enforcing_state_notified=data.get("enforcing_state_notified", False),
        )


class IncidentForm(forms.Form):
    """A child-safety incident found on the platform, recorded by an analyst: who was
    reported, where the content is, how it was found, how urgent it is. It becomes a
    child-safety case with its CyberTipline report duty (18 USC 2258A). The content itself
    is never uploaded here: it is named by URL or id and preserved where it is."""

    reported_kind = forms.ChoiceField(
        label=_("Reported user is named by"),
        choices=_cap(
            [
                (TargetKind.USERNAME, TargetKind.USERNAME.label),
                (TargetKind.ACCOUNT_ID, TargetKind.ACCOUNT_ID.label),
                (TargetKind.EMAIL, TargetKind.EMAIL.label),
                (TargetKind.PHONE, TargetKind.PHONE.label),
            ]
        ),
    )
    reported_user = forms.CharField(label=_("Reported user"), max_length=500)
    content = forms.CharField(
        label=_("Where the content is"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono", "spellcheck": "false"}),
        help_text=_("One URL per line (the post, the file, the conversation)."),
    )
    other_identifiers = forms.CharField(
        label=_("Other identifiers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono", "spellcheck": "false"}),
        help_text=_("IP addresses, other accounts, as type:value or plain, one per line."),
    )
    description = forms.CharField(
        label=_("What was found"),
        max_length=300,
        help_text=_("A short factual description; never paste the material itself."),
    )
    how_found = forms.ChoiceField(label=_("How it was found"))
    detected_at = LocalDateTimeField(label=_("Found at"))
    urgency = forms.TypedChoiceField(
        label=_("Urgency"),
        coerce=int,
        initial=Priority.HIGH,
        choices=_cap([(p.value, p.label) for p in (Priority.URGENT, Priority.HIGH)]),
        help_text=_("Urgent: a child may be in danger now."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.utils.translation import gettext

        cast(forms.ChoiceField, self.fields["how_found"]).choices = [
            (code, capfirst(gettext(label))) for code, label in INCIDENT_SOURCES.items()
        ]
        self.fields["detected_at"].help_text = zone_help()
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("detected_at", now)

    def intake_data(self) -> IntakeInput:
        """The incident as ``case_intake`` takes it: a CyberTipline report duty of the
        provider (US), found internally, naming the reported user and the content."""
        data = self.cleaned_data
        targets = [TargetInput(kind=data["reported_kind"], value=data["reported_user"])]
        targets += [
            TargetInput(kind=TargetKind.URL, value=line.strip())
            for line in data["content"].splitlines()
            if line.strip()
        ]
        targets += target_lines_parse(data.get("other_identifiers") or "")
        return intake_input(
            kind=ProcessKind.CYBERTIPLINE,
            case_type=CaseType.CHILD_SAFETY,
            country="US",
            received_via=ReceivedVia.INTERNAL,
            received_at=data["detected_at"],
            issuing_authority=incident_authority(data["how_found"]),
            targets=targets,
            summary=data["description"],
            priority=data["urgency"],
        )
