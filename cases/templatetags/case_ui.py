"""Display helpers for the staff case pages: countdowns, times with zone, status badges.

A countdown is text first ("overdue 3 h", "due in 5 h") with a colour class second, so the
urgency reads the same to a screen reader, in print, and to someone who cannot tell red
from amber.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.db import models
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.officer.selectors import kind_label
from portal import datetimes

register = template.Library()

SOON = timedelta(hours=24)
NEAR = timedelta(hours=48)


@dataclass(frozen=True)
class Countdown:
    text: str
    tone: str  # "overdue", "soon", "near", "later", "none": a CSS class, never the only cue


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": max(minutes, 1)}
    hours = minutes // 60
    if hours < 48:
        return _("%(n)d h") % {"n": hours}
    return _("%(n)d d") % {"n": hours // 24}


def countdown_for(due_at: datetime | None, now: datetime | None = None) -> Countdown:
    """How far a deadline is, rounded down to the unit a person reads at a glance."""
    if due_at is None:
        return Countdown(_("no deadline"), "none")
    now = now or timezone.now()
    delta = due_at - now
    if delta <= timedelta(0):
        return Countdown(_("overdue %(span)s") % {"span": _span(-delta)}, "overdue")
    text = _("due in %(span)s") % {"span": _span(delta)}
    if delta <= SOON:
        return Countdown(text, "soon")
    if delta <= NEAR:
        return Countdown(text, "near")
    return Countdown(text, "later")


@register.simple_tag
def countdown(due_at: datetime | None, now: datetime | None = None) -> str:
    """The countdown and the absolute time beside it (the countdown is read first);
    built here, not by rendering a template per row (a queue page has 50 of them)."""
    shown = countdown_for(due_at, now)
    html = format_html('<span class="countdown {}">{}</span>', shown.tone, shown.text)
    if due_at:
        html += format_html(
            ' <time class="abs" datetime="{}">{}</time>',
            timezone.localtime(due_at).isoformat(),
            when(due_at),
        )
    return html


@register.simple_tag
def countdown_tone(due_at: datetime | None, now: datetime | None = None) -> str:
    """The tone alone, for a table row's accent (the countdown cell carries the words)."""
    return countdown_for(due_at, now).tone


@register.filter
def when(value: datetime | None) -> str:
    """A timestamp in the viewer's zone, with the zone named: ``2026-03-02 14:05 CET`` in
    English (the staff's house style, ISO order), the language's own short form elsewhere
    (``02/03/2026 14:05 CET`` in French, ``02.03.2026 14:05 CET`` in German). Time inputs
    take the same shape (``portal.datetimes``)."""
    return datetimes.when(value)


STATUS_TONES = {
    "received": "info",
    "emergency_review": "danger",
    "triage": "info",
    "needs_info": "warn",
    "legal_review": "info",
    "approved": "ok",
    "collecting": "info",
    "ready_to_disclose": "ok",
    "disclosed": "ok",
    "rejected": "neutral",
    "withdrawn": "neutral",
    "closed": "neutral",
}


@functools.cache
def _choice_labels(model: type[models.Model], field: str, language: str | None) -> dict:
    model_field = model._meta.get_field(field)
    if not isinstance(model_field, models.Field):
        raise TypeError(f"{model.__name__}.{field} is a relation, not a field with choices")
    return {value: str(label) for value, label in model_field.flatchoices}


@register.filter
def display(obj: models.Model, field: str) -> Any:
    """``obj.get_<field>_display()`` from a table made once per language:
    ``{{ case|display:"status" }}``. Django's method rebuilds and translates every choice
    on each call, a third of a 50-row queue's rendering (bench/queue.py)."""
    value = getattr(obj, field)
    return _choice_labels(type(obj), field, get_language()).get(value, value)


@register.filter(name="kind_label")
def kind_label_filter(kind: str | None) -> str:
    """A process kind's name from its code: ``{{ case.kind|kind_label }}`` on the rows of
    ``request_rows``, which carry only the code."""
    return kind_label(kind)


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "neutral")


@register.simple_tag
def queue_row(case: Any, now: datetime, detail_url: str) -> str:
    """One row of the queue, built here rather than by a template: 50 rows of a dozen tags
    each were most of the queue page's time (bench/queue.py). ``detail_url`` is the case
    page's address with ``REFERENCE`` in place of the reference (reversed once a page)."""
    language = get_language()
    model: type[models.Model] = type(case)

    def label(field: str) -> str:
        value = getattr(case, field)
        return capfirst(_choice_labels(model, field, language).get(value, value))

    shown = countdown_for(case.next_due_at, now)
    kind = label("case_type")
    summary = f" · {Truncator(case.summary).chars(60)}" if case.summary else ""
    status = label("status")
    emergency = (
        format_html(' <span class="badge emergency">{}</span>', _("Emergency"))
        if case.emergency
        else ""
    )
    if case.assignee_id:
        who: str = escape(case.assignee.get_full_name() or case.assignee.username)
    else:
        who = format_html('<span class="muted">{}</span>', _("Unassigned"))
    priority = label("priority")
    if case.priority <= 2:
        tone = "danger" if case.priority == 1 else "warn"
        priority = format_html('<span class="badge {}">{}</span>', tone, priority)
    return format_html(
        '<tr class="is-{}"><td class="nowrap">{}</td>'
        '<td><a class="ref" href="{}">{}</a> <span class="sub">{}{}</span></td>'
        '<td><span class="badge {}">{}</span>{}</td>'
        '<td>{}</td><td class="team">{}</td><td class="who">{}</td><td>{}</td></tr>',
        shown.tone,
        countdown(case.next_due_at, now),
        detail_url.replace("REFERENCE", case.reference),
        case.reference,
        kind,
        summary,
        STATUS_TONES.get(case.status, "neutral"),
        status,
        emergency,
        (case.agency.name if case.agency_id else "") or "—",
        case.team.name,
        who,
        priority,
    )


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (or removed when None/"")."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def described(field: BoundField) -> str:
    """The field's widget pointing at its help text and its errors (``aria-describedby``),
    so a screen reader reads "required" or "not a valid phone number" with the input."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return field.as_widget(attrs={"aria-describedby": " ".join(ids)} if ids else None)


@register.simple_tag(takes_context=True)
def case_panel(context: template.Context, panel: Any) -> str:
    """Render a panel registered in ``cases.extensions`` with the page's context plus the
    panel's own (so a panel template sees ``case``, ``request`` and ``now`` as well)."""
    tmpl = context.template.engine.get_template(panel.template)  # type: ignore[union-attr]
    with context.push(panel.context):
        return tmpl.render(context)


@register.simple_tag
def jurisdiction_datalist() -> str:
    """The ``<datalist id="jurisdiction-choices">`` the jurisdiction inputs name: the
    browser filters it as the user types (no JavaScript), codes and names alike. Built once
    per process; the labels are pycountry's English names."""
    return _jurisdiction_datalist()


@functools.cache
def _jurisdiction_datalist() -> str:
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    from cases.jurisdictions import jurisdiction_choices

    options = format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((code, label) for code, label in jurisdiction_choices()),
    )
    return mark_safe(f'<datalist id="jurisdiction-choices">{options}</datalist>')  # noqa: S308
