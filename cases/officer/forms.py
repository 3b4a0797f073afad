"""Forms of the officer portal. They shape input for ``case_submit`` and the actions; the
rules (jurisdiction, targets, document checks, deadlines) are the services'."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.intake_forms import ProcessFieldsForm
from cases.models import CaseStatus, DataCategory, ReceivedVia
from cases.officer.selectors import OFFICER_KINDS
from cases.services import IntakeInput, intake_input
from portal.datetimes import IsoDateField


def _cap(choices: Any) -> list[tuple[Any, Any]]:
    return [(value, capfirst(label)) for value, label in choices]


class RequestForm(ProcessFieldsForm):
    """A new request, as the officer types it (the shared process fields, and what only an
    officer's submission carries: the idempotency key, one jurisdiction field, the agency's
    own case number and what records are asked for)."""

    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # No max_length: a browser's maxlength would cut "Illinois" to "Illino" unseen; the
    # service refuses what names no jurisdiction.
    jurisdiction = forms.CharField(
        label=_("Jurisdiction"),
        widget=forms.TextInput(attrs={"list": "jurisdiction-choices", "autocomplete": "off"}),
        help_text=_(
            "Where it was issued: a country or state, by name (Illinois) or ISO 3166 code "
            "(US, US-CA). Start typing to choose."
        ),
    )
    agency_case_number = forms.CharField(label=_("Your case number"), required=False, max_length=64)
    data_categories = forms.MultipleChoiceField(
        label=_("Records requested"),
        required=False,
        choices=_cap(DataCategory.choices),
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = IsoDateField(label=_("Records from"), required=False)
    date_to = IsoDateField(label=_("Records until"), required=False)
    # Shown with the doubts (cases.doubts) the first time they come up.
    doubts_confirmed = forms.BooleanField(
        label=_("I have checked these points: file the request as it is"), required=False
    )

    def __init__(self, *args: Any, agency: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agency = agency
        cast(forms.ChoiceField, self.fields["kind"]).choices = OFFICER_KINDS
        self.fields["issuing_authority"].help_text = _("Empty: your agency.")
        if not self.is_bound:
            # A fresh key per form: a double click or a resent POST files one request.
            self.initial.setdefault("submission_key", uuid.uuid4().hex)
            self.initial.setdefault("jurisdiction", agency.subdivision or agency.country)

    def intake_data(self) -> IntakeInput:
        """The cleaned input for ``case_submit`` (the agency is the officer's own: the
        service decides that, and the defaults that follow from it)."""
        data = self.cleaned_data
        return intake_input(
            **self.process_arguments(),
            jurisdiction=data["jurisdiction"],
            agency_case_number=data.get("agency_case_number") or "",
            data_categories=data.get("data_categories") or [],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            received_via=ReceivedVia.PORTAL,
        )


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
    """Withdrawing ends the provider's work on the request and cannot be undone from the
    portal, so one click on the wrong request's button must not do it: the officer ticks a
    confirmation that names the reference."""

    reason = forms.CharField(
        label=_("Why is the request withdrawn?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("Yes, withdraw this request: the provider stops working on it."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )

    def __init__(self, *args: Any, reference: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reference:
            self.fields["confirm"].label = _(
                "Yes, withdraw %(reference)s: the provider stops working on it."
            ) % {"reference": reference}
