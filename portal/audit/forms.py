"""The auditor's search form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.audit.models import AccessEvent
from portal.audit.selectors import EventFilters
from portal.datetimes import LocalDateTimeField


class EventSearchForm(forms.Form):
    """Search by user, case, action, outcome and time (in the viewer's time zone)."""

    user = forms.CharField(
        label=_("User"),
        max_length=150,
        required=False,
        help_text=_("Username or task name, exactly as recorded."),
    )
    case = forms.CharField(label=_("Case reference"), max_length=32, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("any")), *AccessEvent.Outcome.choices],
    )
    since = LocalDateTimeField(label=_("From"), required=False, also_dates=True)
    until = LocalDateTimeField(
        label=_("Until"), required=False, also_dates=True, help_text=_("Events before this time.")
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until <= since:
            raise forms.ValidationError(_("“Until” must be after “From”."))
        return cleaned

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        return EventFilters(
            user=data["user"].strip(),
            case_reference=data["case"].strip(),
            action=data["action"].strip(),
            outcome=data["outcome"],
            since=data["since"],
            until=data["until"],
        )
