"""Which everyday work a case still takes once it has left the open statuses.

A closed, disclosed, rejected or withdrawn case is finished work: nobody is assigned to it,
no note or attachment is added to it (its record is what it was when it ended; a reopened
case takes them again). What outlives the case is its duties (``cases.rules.DUTY_KINDS``):
the user notice stays open to record while a notice duty remains, that is while the case's
user-notice deadline is open, or the case was disclosed and the notice is still undecided
(the account holder is owed notice of a disclosure unless a reason to withhold it applies).
A withdrawn or rejected request disclosed nothing, so no notice is owed.

One place for the rule: the services refuse with ``work_refusal`` and the case page asks it
which forms to show.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from cases.models import Case, CaseStatus, DeadlineKind, DeadlineStatus, UserNoticeStatus


class Work(StrEnum):
    ASSIGN = "assign"
    NOTE = "note"
    ATTACH = "attach"
    USER_NOTICE = "user_notice"


def work_refusal(case: Case, work: Work) -> str:
    """Why ``work`` cannot be done on ``case`` now ("" when it can)."""
    if case.is_open:
        return ""
    if work == Work.USER_NOTICE:
        if _notice_duty_remains(case):
            return ""
        return _("No user notice is owed on this case any more: it ended without a disclosure.")
    status = case.get_status_display()
    return {
        Work.ASSIGN: _("The case is %(status)s: it is no longer assigned to anyone's work."),
        Work.NOTE: _("The case is %(status)s: its record is closed to new notes."),
        Work.ATTACH: _("The case is %(status)s: its record is closed to new attachments."),
    }[work] % {"status": status}


def _notice_duty_remains(case: Case) -> bool:
    if case.deadlines.filter(kind=DeadlineKind.USER_NOTICE, status=DeadlineStatus.OPEN).exists():
        return True
    return (
        case.status == CaseStatus.DISCLOSED and case.user_notice_status == UserNoticeStatus.PENDING
    )
