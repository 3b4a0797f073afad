"""Django's form renderer, with its simplest widget templates built in Python.

Each widget is rendered through a template, three templates deep for an ``<input>``
(``text.html`` includes ``input.html`` includes ``attrs.html``); the staff case page has
about thirty widgets, and their templates were a fifth of its time (bench/queue.py,
issue 9 item 17). ``input.html`` and ``textarea.html`` and the templates that only include
``input.html`` are produced here with the same markup; every other template (selects,
option lists, the clearable file input, anything a project or library overrides) goes
through Django as before.

This leans on the names and contexts of Django's own widget templates, which are not a
public API: ``tests/portal/test_form_renderer.py`` renders every widget we use both ways and
fails when an upgrade makes them differ.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_WIDGETS = "django/forms/widgets/"
# Templates whose whole body is {% include "django/forms/widgets/input.html" %}.
_INPUTS = frozenset(
    _WIDGETS + name
    for name in (
        "input.html",
        "text.html",
        "hidden.html",
        "number.html",
        "email.html",
        "url.html",
        "tel.html",
        "search.html",
        "password.html",
        "date.html",
        "datetime.html",
        "time.html",
        "file.html",
        "checkbox.html",
        "color.html",
    )
)
_TEXTAREA = _WIDGETS + "textarea.html"


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """``attrs.html``: True as a bare name, False left out, the rest as ``name="value"``."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER``: plain inputs and text areas in Python, the rest by template."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is not None and template_name in _INPUTS:
            value = widget["value"]
            shown = "" if value is None else format_html(' value="{}"', str(value))
            return format_html(
                '<input type="{}" name="{}"{}{}>',
                widget["type"],
                widget["name"],
                shown,
                _attrs(widget["attrs"]),
            )
        if widget is not None and template_name == _TEXTAREA:
            value = widget["value"]
            return format_html(
                '<textarea name="{}"{}>\n{}</textarea>',
                widget["name"],
                _attrs(widget["attrs"]),
                value if value else "",
            )
        return super().render(template_name, context, request)
