"""The form renderer's Python widgets give exactly what Django's templates give.

``portal/form_renderer.py`` builds ``<input>`` and ``<textarea>`` itself from the context of
Django's widget templates (not a public API); if an upgrade changes those templates or
their context, these comparisons fail."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from portal.datetimes import IsoDateInput, LocalDateTimeInput
from portal.form_renderer import FormRenderer


class Everything(forms.Form):
    name = forms.CharField(max_length=20, help_text="help")
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    count = forms.IntegerField(min_value=1)
    mail = forms.EmailField(required=False)
    site = forms.URLField(assume_scheme="https")
    phone = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "autofocus": True}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False)
    when = forms.DateTimeField(widget=LocalDateTimeInput)
    day = forms.DateField(widget=IsoDateInput)
    file = forms.FileField(required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": False}))
    pick = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), (1, 'One "1"')])
    grouped = forms.ChoiceField(
        choices=[("x", "Loose"), ("Group <1>", [("g1", "G one"), ("g2", "G two")])],
        widget=forms.Select(attrs={"class": "wide"}),
    )
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")])
    search = forms.CharField(
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "a & b"})
    )


VALUES = {
    "name": 'O\'Brien <b>"quoted"</b> & co',
    "secret": "p&ss<word>",
    "count": "7",
    "mail": "officer@a-pd.example.gov",
    "site": "https://example.com/?a=1&b=2",
    "phone": "+1 555 010 0100",
    "hidden": 'x"y',
    "agree": "on",
    "when": "2026-03-02T14:05",
    "day": "2026-03-02",
    "body": "line one\n<script>alert(1)</script>\nline three",
    "search": "",
    "pick": "a",
    "grouped": "g2",
}


@pytest.mark.parametrize("bound", [False, True], ids=["initial", "bound"])
def test_every_field_renders_as_django_renders_it(bound):
    initial = {"when": datetime.datetime(2026, 3, 2, 14, 5), "day": datetime.date(2026, 3, 2)}
    data = None
    if bound:
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        data.update(VALUES)
        data.setlist("several", ["a", "c"])
    form = Everything(data, initial=initial)
    if bound:
        form.is_valid()  # errors add aria-invalid attributes: compared too
    for field in form:
        ours = field.as_widget(attrs={"aria-describedby": "x_helptext"})
        form.renderer = DjangoTemplates()
        theirs = field.as_widget(attrs={"aria-describedby": "x_helptext"})
        form.renderer = FormRenderer()
        assert str(ours) == str(theirs), field.name
        assert ours.startswith(("<input", "<textarea", "<select"))


def test_the_project_uses_it_and_other_widgets_still_go_through_templates():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)

    class Choices(forms.Form):
        many = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)

    form = Choices({"many": ["a"]})
    for field in form:
        ours = str(field)
        form.renderer = DjangoTemplates()
        assert ours == str(field)
        form.renderer = FormRenderer()
