"""Django's form renderer, with its simplest widget templates built in Python.

Each widget is rendered through a template, three templates deep for an ``<input>``
(``text.html`` includes ``input.html`` includes ``attrs.html``); the staff case page has
about thirty widgets, and their templates were a fifth of its time (bench/queue.py,
issue 9 item 17). ``input.html``, the templates that only include it, ``textarea.html``
and ``select.html`` (when every option uses ``select_option.html``) are produced here with
the same markup; every other template (checkbox lists, the clearable file input, anything a
project or library overrides) goes through Django as before.

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
_SELECT = _WIDGETS + "select.html"
_OPTION = _WIDGETS + "select_option.html"


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
        if (
            widget is not None
            and template_name == _SELECT
            and all(
                o["template_name"] == _OPTION
                for _g, group, _i in widget["optgroups"]
                for o in group
            )
        ):
            return _select(widget)
        return super().render(template_name, context, request)


def _select(widget: dict[str, Any]) -> SafeString:
    """``select.html`` with ``select_option.html`` for each option (an included template
    keeps its final newline; the whole is stripped, as ``BaseRenderer.render`` does)."""
    parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in options:
            parts.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    str(option["value"]),
                    _attrs(option["attrs"]),
                    option["label"],
                )
            )
        if group_name:
            parts.append(SafeString("\n  </optgroup>"))
    parts.append(SafeString("\n</select>"))
    return SafeString("".join(parts).strip())
