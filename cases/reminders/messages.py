"""The words of reminders and digests, rendered per recipient (their time zone, with zone).

Messages say what is due, when, and what to do; a reminder that goes out after its time
says so and when it should have come, so nobody mistakes a late warning for an early one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, Deadline, ReminderOutcome
from cases.reminders.recipients import Audience, Recipient
from cases.reminders.steps import Phase, Step
from cases.templatetags.case_ui import when
from portal.accounts.models import User
from portal.accounts.zones import user_zone
from portal.notifications.models import Notification

Severity = Notification.Severity


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    url: str
    severity: str
    kind: str


def duration_words(span: timedelta) -> str:
    """A span as people say it, rounded to its largest unit: "7 days", "2 hours", "10 minutes".

    A reminder sent a minute after its step reads "in 7 days", not "in 6 days, 23 hours".
    """
    minutes = max(0, round(abs(span).total_seconds() / 60))
    if minutes >= 36 * 60:
        days = round(minutes / (24 * 60))
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if minutes >= 90:
        hours = round(minutes / 60)
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def case_link(case: Case, audience: Audience) -> str:
    if audience == Audience.OFFICER:
        return reverse("officer:request", args=[case.reference])
    return reverse("cases:detail", args=[case.reference])


def _late_line(step: Step, sent_at: datetime) -> str:
    return _("Sent late: this reminder was due at %(due)s (%(delay)s ago).") % {
        "due": when(step.at),
        "delay": duration_words(sent_at - step.at),
    }


def reminder_message(
    *,
    recipient: Recipient,
    case: Case,
    deadline: Deadline,
    step: Step,
    outcome: str,
    sent_at: datetime,
    late: bool,
    urgent: bool,
    extensions_left: int | None = None,
    process_label: str = "",
) -> Message:
    """One recipient's message about one step of one deadline, in their zone and language
    (an officer reads the expiry of their preservation in the language they chose)."""
    with (
        timezone.override(user_zone(recipient.user)),
        translation.override(recipient.user.language or settings.LANGUAGE_CODE),
    ):
        values = {
            "reference": case.reference,
            "kind": str(deadline.get_kind_display()),
            "due": when(deadline.due_at),
            "left": duration_words(deadline.due_at - sent_at),
            "ago": duration_words(sent_at - deadline.due_at),
            "assignee": case.assignee.get_username() if case.assignee else _("unassigned"),
            "citation": deadline.citation,
            "process": process_label,
        }
        past = deadline.due_at <= sent_at  # an override may have moved it behind the step
        subject, lines, severity, kind = _words(
            recipient.audience, step, outcome, values, urgent, past=past
        )
        if recipient.audience == Audience.OFFICER and outcome == ReminderOutcome.REMINDED:
            lines.append(_officer_extension_line(extensions_left, values))
        if late:
            subject = _("Late: %(subject)s") % {"subject": subject}
            lines.insert(0, _late_line(step, sent_at))
    return Message(
        subject=subject[:200],
        body="\n\n".join(lines),
        url=case_link(case, recipient.audience),
        severity=severity,
        kind=kind,
    )


def _words(
    audience: Audience,
    step: Step,
    outcome: str,
    v: dict[str, str],
    urgent: bool,
    *,
    past: bool = False,
) -> tuple[str, list[str], str, str]:
    """Subject, body lines, severity and notification kind for one audience and outcome.
    ``past``: the deadline's time has gone by, so no text may say "in …" of it."""
    if outcome == ReminderOutcome.RELEASED:
        if audience == Audience.OFFICER:
            subject = _("Preservation for %(reference)s has lapsed") % v
        else:
            subject = _("%(reference)s: preservation released on expiry") % v
        body = _(
            "The preservation for %(reference)s expired at %(due)s without an extension or "
            "superseding legal process, and was released automatically."
        )
        return subject, [body % v], Severity.WARNING, "preservation_released"
    if outcome == ReminderOutcome.RELEASE_BLOCKED:
        subject = _("Decide: %(reference)s preservation expired, legal process on the case") % v
        body = _(
            "The preservation for %(reference)s expired at %(due)s, but the case holds legal "
            "process (%(process)s), so it was not released automatically. Mark the hold "
            "superseded by that process, or release it."
        )
        return subject, [body % v], Severity.URGENT, "preservation_release_held"
    if step.phase == Phase.OVERDUE:
        if audience == Audience.SUPERVISOR:
            subject = _("Escalation: %(reference)s overdue since %(due)s (%(kind)s)") % v
            body = _(
                "%(reference)s, %(kind)s: the deadline was %(due)s and is still open, overdue "
                "by %(ago)s. Assignee: %(assignee)s. Rule: %(citation)s."
            )
        else:
            subject = _("Overdue: %(reference)s since %(due)s (%(kind)s)") % v
            body = _(
                "%(reference)s, %(kind)s: the deadline was %(due)s and is still open, overdue "
                "by %(ago)s. The team's supervisors have been told."
            )
        return subject, [body % v], Severity.URGENT, "deadline_overdue"
    severity = Severity.URGENT if urgent else Severity.INFO
    if past:
        if audience == Audience.OFFICER:
            subject = _("Preservation for %(reference)s lapsed on %(due)s") % v
            body = _(
                "The records preserved for your request %(reference)s were kept until %(due)s."
            )
            return subject, [body % v], Severity.WARNING, "preservation_expiry"
        subject = _("%(reference)s: %(kind)s was due %(due)s (%(ago)s ago)") % v
        body = _(
            "%(reference)s, %(kind)s: it was due %(due)s, %(ago)s ago, and is still open. "
            "Rule: %(citation)s."
        )
        return subject, [body % v], Severity.URGENT, "deadline_overdue"
    if audience == Audience.OFFICER:
        subject = _("Preservation for %(reference)s lapses on %(due)s") % v
        body = _("The records preserved for your request %(reference)s are kept until %(due)s.")
        return subject, [body % v], Severity.WARNING, "preservation_expiry"
    subject = _("%(reference)s: %(kind)s in %(left)s") % v
    body = _("%(reference)s, %(kind)s: %(due)s (in %(left)s). Rule: %(citation)s.")
    return subject, [body % v], severity, "deadline_reminder"


def _officer_extension_line(extensions_left: int | None, v: dict[str, str]) -> str:
    if extensions_left:
        return (
            _(
                "Extend it in the portal (a renewed request) or it lapses on %(due)s and the "
                "records may no longer be available."
            )
            % v
        )
    return (
        _(
            "It cannot be extended again: serve legal process before %(due)s to keep the "
            "records, or it lapses then."
        )
        % v
    )


@dataclass(frozen=True)
class DigestLine:
    reference: str
    kind: str
    due_at: datetime
    overdue: bool


def digest_message(
    *, user: User, lines: list[DigestLine], due_today: int, overdue: int, now: datetime, shown: int
) -> Message:
    """The morning digest: what is overdue and what falls due today, nearest first."""
    with timezone.override(user_zone(user)):
        subject = _("Deadlines today: %(today)d due, %(overdue)d overdue") % {
            "today": due_today,
            "overdue": overdue,
        }
        body = []
        for line in lines:
            values = {"reference": line.reference, "kind": line.kind, "due": when(line.due_at)}
            if line.overdue:
                values["ago"] = duration_words(now - line.due_at)
                body.append(_("%(reference)s: %(kind)s at %(due)s (overdue by %(ago)s)") % values)
            else:
                body.append(_("%(reference)s: %(kind)s at %(due)s") % values)
        hidden = due_today + overdue - shown
        if hidden > 0:
            body.append(_("… and %(count)d more in the queue.") % {"count": hidden})
    tab = "overdue" if overdue else "due_48h"
    return Message(
        subject=subject,
        body="\n".join(body),
        url=f"{reverse('cases:queue')}?tab={tab}",
        severity=Severity.WARNING if overdue else Severity.INFO,
        kind="deadline_digest",
    )
