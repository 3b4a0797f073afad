"""Forms of the staff case pages. They hold input, not rules.

Each form only shapes what a person typed into the arguments of one service
(``cases.services`` / ``cases.workflow``); the service validates the business rules and
raises a ``ValidationError`` keyed by field, which ``errors_to_form`` puts back on the form,
so the page shows the problem next to the field and keeps everything the person entered.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.models import (
    CaseStatus,
    ProcessKind,
    UserNoticeStatus,
    UserNoticeWithheldReason,
)
from portal.accounts.models import Agency, Team, User
from portal.datetimes import LocalDateTimeField, zone_help


class QuickSelect(forms.Select):
    """A ``<select>`` built in Python. Django renders each option through a template, which
    made the queue's filter bar (a few hundred agencies) cost more than the queue itself."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class NamedChoiceIterator(forms.models.ModelChoiceIterator):
    """Options as ``(pk, name)`` straight from the database: building a model instance per
    option (a few hundred agencies) cost more than the queue's own rows (bench/queue.py)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class NamedModelChoiceField(forms.ModelChoiceField):
    """A choice of a model with a ``name`` (agency, team), the chosen one still cleaned to
    its instance."""

    iterator = NamedChoiceIterator


def errors_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a service's ``ValidationError`` to ``form``: keyed messages to their field
    when the form has it (else to the top of the form), plain messages to the top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            target = field if shown and field != NON_FIELD_ERRORS else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _cap(choices: Any) -> list[tuple[Any, Any]]:
    """Model choice labels are lower-case (they read inside sentences); a select shows
    them as items, capitalised."""
    return [(value, capfirst(label)) for value, label in choices]


# --- queue -----------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """Search and filters above the queue; every field optional."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Reference, agency or target")}
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, widget=QuickSelect)
    agency = NamedModelChoiceField(
        label=_("Agency"),
        required=False,
        queryset=Agency.objects.none(),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    team = NamedModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.none(),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    kind = forms.ChoiceField(label=_("Process kind"), required=False, widget=QuickSelect)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
        widget=QuickSelect,
    )

    def __init__(
        self,
        *args: Any,
        teams: QuerySet[Team],
        agencies: QuerySet[Agency],
        assignees: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        any_choice = [("", _("Any"))]
        # Per-form copies of the fields declared above; the stubs type them as plain Field.
        fields = self.fields
        cast(forms.ChoiceField, fields["status"]).choices = any_choice + _cap(CaseStatus.choices)
        cast(forms.ChoiceField, fields["kind"]).choices = any_choice + list(ProcessKind.choices)
        cast(forms.ModelChoiceField, fields["team"]).queryset = teams
        cast(forms.ModelChoiceField, fields["agency"]).queryset = agencies
        if assignees is not None:
            cast(forms.ModelChoiceField, fields["assignee"]).queryset = assignees


# --- case page -------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    """One workflow button. ``expected_status`` is what the person saw: the compare-and-set
    of ``case_transition`` refuses the move if someone else moved the case meanwhile."""

    to_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    expected_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """Options from one plain query. Django's iterator uses ``QuerySet.iterator()``, which
    on PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE: three round trips) for
    a list of a few dozen people."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A model choice whose options come from one plain query (``ListedChoiceIterator``)."""

    iterator = ListedChoiceIterator


class PersonChoiceIterator(forms.models.ModelChoiceIterator):
    """People as ``(pk, "Full Name (username)")`` from the three columns the label needs:
    one plain query, no server-side cursor and no user instance (with its password hash
    and a dozen other columns) per option."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, first, last, username in self.queryset.values_list(
            "pk", "first_name", "last_name", "username"
        ):
            full = f"{first} {last}".strip()
            yield (pk, f"{full} ({username})" if full else username)


class UserChoiceField(forms.ModelChoiceField):
    """People listed by full name and username (``str(user)`` is the username alone)."""

    iterator = PersonChoiceIterator


class AssignForm(forms.Form):
    assignee = UserChoiceField(
        label=_("Assignee"),
        required=False,
        queryset=None,
        empty_label=_("Unassigned"),
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(UserChoiceField, self.fields["assignee"]).queryset = users


class AssignSelfForm(forms.Form):
    """ "Assign to me": the same endpoint, with the person's own id as the assignee."""

    assignee = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("New note"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Internal: never shown to officers."),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF or image (PNG, JPEG, TIFF, GIF, WebP)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/*"}),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=300)


class DeadlineOverrideForm(forms.Form):
    due_at = LocalDateTimeField(label=_("New due time"))
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    missed = forms.BooleanField(
        label=_("The deadline was missed: record a time in the past"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_at"].help_text = zone_help()


class PreservationExtendForm(forms.Form):
    note = forms.CharField(
        label=_("Renewed request"),
        required=False,
        max_length=500,
        help_text=_("E.g. the date and reference of the agency's renewal."),
    )


class PreservationReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class UserNoticeForm(forms.Form):
    status = forms.ChoiceField(label=_("Notice"), choices=_cap(UserNoticeStatus.choices))
    reason = forms.ChoiceField(
        label=_("Withheld because"),
        required=False,
        choices=[("", "—"), *_cap(UserNoticeWithheldReason.choices)],
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TeamChangeForm(forms.Form):
    team = NamedModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), widget=QuickSelect
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
