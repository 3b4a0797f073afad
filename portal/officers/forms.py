"""Forms of the officer pages. They check what a person typed; the rules are in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency, ApiToken
from portal.accounts.onboarding import email_domain_matches, phone_normalise

TOKEN_DAY_CHOICES = [
    (30, _("30 days")),
    (90, _("90 days")),
    (180, _("180 days")),
    (365, _("1 year")),
]


class ApplicationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.filter(status=Agency.Status.ACTIVE),
        empty_label=_("Choose your agency"),
    )
    badge_number = forms.CharField(label=_("Badge or ID number"), max_length=64)
    email = forms.EmailField(
        label=_("Official e-mail address"),
        max_length=150,
        help_text=_("Your address at your agency. Personal addresses are not accepted."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=32,
        help_text=_("International format, e.g. +1 202 555 0100."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        agency = data.get("agency")
        email = data.get("email")
        if agency is not None and email and not email_domain_matches(email, agency.email_domains):
            self.add_error(
                "email",
                _(
                    "This address is not on a domain of %(agency)s. Use your official address "
                    "at %(domains)s."
                )
                % {"agency": agency.name, "domains": _(" or ").join(agency.email_domains)},
            )
        if agency is not None and data.get("phone"):
            try:
                data["phone"] = phone_normalise(data["phone"], country=agency.country)
            except ValidationError as exc:
                self.add_error("phone", exc)
        return data


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the token will be used, e.g. 'Case management system'."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiToken.Scope.choices,
        initial=[ApiToken.Scope.READ],
        widget=forms.CheckboxSelectMultiple,
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"), choices=TOKEN_DAY_CHOICES, coerce=int, initial=90
    )


class ApproveForm(forms.Form):
    called_back = forms.BooleanField(
        label=_(
            "I called the agency on its directory number and it confirmed this officer, "
            "their badge number and their e-mail address."
        )
    )
    note = forms.CharField(
        label=_("Call-back note"),
        help_text=_("Whom you spoke to, when, and what they confirmed."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
