"""Sign-in and enrolment forms, and the user's own preferences."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User


class PasswordStepForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


class EnrolForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code shown by the app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}
        ),
    )


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class TimeZoneForm(forms.Form):
    """The zone the user reads times in. A plain text field behind the list: the service
    (``user_time_zone_set``) decides what is a zone, the form only carries the name."""

    time_zone = forms.CharField(
        label=_("Show times in"),
        required=False,
        max_length=64,
        help_text=_("Dates and times on every page and in notifications use this zone."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        from portal.accounts.zones import user_default_zone, zone_choices

        super().__init__(*args, **kwargs)
        default = user_default_zone(user)
        first = {
            "team": _("Use my team's zone (%(zone)s)"),
            "agency": _("Use my agency's zone (%(zone)s)"),
        }.get(default.source, _("Use the default zone (%(zone)s)"))
        self.fields["time_zone"].widget = forms.Select(
            choices=[("", first % {"zone": default.name}), *zone_choices(user.time_zone)],
            attrs={"autocomplete": "off"},
        )
        self.initial.setdefault("time_zone", user.time_zone)
