"""Forms of the productions panel: they translate input; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.forms import ListedModelChoiceField
from cases.models import Attachment, Case, DataCategory, LegalProcess
from portal.datetimes import IsoDateField
from reports.disclosures.models import Disclosure, DisclosureKind, NotProducedReason
from reports.disclosures.services import DisclosureInput


def _cap(choices: Any) -> list[tuple[Any, Any]]:
    return [(value, capfirst(label)) for value, label in choices]


def _process_label(process: LegalProcess) -> str:
    return f"{process.get_kind_display()} · {process.issuing_authority}"


class DisclosureForm(forms.Form):
    process = forms.ModelChoiceField(queryset=LegalProcess.objects.none(), label=_("Answers"))
    kind = forms.ChoiceField(choices=_cap(DisclosureKind.choices), label=_("Kind"))
    categories = forms.MultipleChoiceField(
        choices=_cap(DataCategory.choices),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Categories produced"),
    )
    date_from = IsoDateField(required=False, label=_("Records from"))
    date_to = IsoDateField(required=False, label=_("Records until"))
    not_produced_categories = forms.MultipleChoiceField(
        choices=_cap(DataCategory.choices),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Categories not produced"),
    )
    not_produced_reason = forms.ChoiceField(
        choices=_cap(NotProducedReason.choices), required=False, label=_("Why not produced")
    )
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Explanation printed in the letter"),
        help_text=_("Grounds of a rejection, or remarks on what was not produced."),
    )
    corrects = ListedModelChoiceField(
        queryset=Disclosure.objects.none(), required=False, label=_("Corrects")
    )

    def __init__(
        self, *args: Any, case: Case, released: Sequence[Disclosure] | None = None, **kwargs: Any
    ) -> None:
        """``released``: the case's released disclosures when the caller has read them
        already (the case page lists them all), for the "Corrects" options."""
        kwargs.setdefault("auto_id", "disc_%s")
        super().__init__(*args, **kwargs)
        processes = case.processes.order_by("received_at", "pk")
        field = self.fields["process"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = processes
        field.label_from_instance = _process_label  # type: ignore[method-assign,assignment]
        # The options from one read of the case's processes (a case has a handful); the
        # queryset still validates what is posted.
        listed = list(processes)
        field.choices = [("", field.empty_label), *((p.pk, _process_label(p)) for p in listed)]
        if len(listed) == 1:
            field.initial = listed[0]
        corrects = self.fields["corrects"]
        assert isinstance(corrects, forms.ModelChoiceField)
        corrects.queryset = case.disclosures.filter(state="released")
        if released is not None:
            corrects.choices = [
                ("", corrects.empty_label),
                *((d.pk, corrects.label_from_instance(d)) for d in released),
            ]

    def as_input(self) -> DisclosureInput:
        data = self.cleaned_data
        corrects = data.get("corrects")
        return DisclosureInput(
            process_id=data["process"].pk,
            kind=data["kind"],
            categories=list(data.get("categories") or []),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            not_produced_categories=list(data.get("not_produced_categories") or []),
            not_produced_reason=data.get("not_produced_reason") or "",
            explanation=data.get("explanation") or "",
            corrects_id=corrects.pk if corrects else None,
        )


class ProducedFileForm(forms.Form):
    file = forms.FileField(required=False, label=_("Upload a file"))
    attachment = ListedModelChoiceField(
        queryset=Attachment.objects.none(), required=False, label=_("Or a file of the case")
    )
    record_count = forms.IntegerField(
        required=False,
        min_value=0,
        label=_("Records in it"),
        help_text=_("Counted for CSV and JSON files when left empty."),
    )

    def __init__(self, *args: Any, case: Case, disclosure: Disclosure, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"file{disclosure.pk}_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["attachment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = case.attachments.all()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("file")) == bool(data.get("attachment")):
            raise forms.ValidationError(_("Upload a file or choose one of the case, not both."))
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("What must change"), max_length=2000
    )


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Disclosure PDF or ZIP"),
        help_text=_("The signed PDF, or the whole ZIP as downloaded."),
    )
