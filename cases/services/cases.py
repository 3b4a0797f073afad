"""Working a case: assignment, notes, attachments, team, user notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.casework import Work, work_refusal
from cases.errors import ConcurrentUpdate
from cases.models import (
    Attachment,
    Case,
    CaseType,
    DeadlineKind,
    DeadlineStatus,
    Note,
    TimelineKind,
    UserNoticeStatus,
    UserNoticeWithheldReason,
)
from cases.selectors import CaseAction, case_check, cases_visible_to, denials_logged
from cases.services.deadlines import case_next_due_refresh, deadlines_close
from cases.services.timeline import timeline_event_add
from cases.uploads import upload_check, upload_stored
from portal.accounts.models import Team
from portal.audit.services import access_event_record

ATTACHMENT_FOLDER = "cases/attachments"
NOTE_MAX = 20_000


@denials_logged
def case_assign(
    *,
    case: Case,
    assignee: Any | None,
    actor: Any,
) -> Case:
    """Give the case to ``assignee`` (None: back to the team's unassigned pile).

    The assignee must be able to work this case (same team, a role that sees its type),
    so nobody is handed a case they cannot open.
    """
    with transaction.atomic():
        case = case_check(actor, case.pk, CaseAction.WORK, lock=True)
        refusal = work_refusal(case, Work.ASSIGN)
        if refusal:
            raise ValidationError({"assignee": refusal})
        if assignee is not None and not (
            cases_visible_to(assignee, CaseAction.WORK).filter(pk=case.pk).exists()
        ):
            raise ValidationError(
                {"assignee": _("%(name)s cannot work this case.") % {"name": str(assignee)}}
            )
        before = case.assignee
        if (before.pk if before else None) == (assignee.pk if assignee else None):
            return case
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        if assignee is None:
            message = gettext_noop("Unassigned (was %(before)s).")
        else:
            message = gettext_noop("Assigned to %(after)s.")
        timeline_event_add(
            case=case,
            kind=TimelineKind.ASSIGNMENT,
            actor=actor,
            message=message,
            params={
                "before": before.get_username() if before else "",
                "after": assignee.get_username() if assignee else "",
            },
        )
        access_event_record(
            action="assign",
            actor=actor,
            obj=case,
            case_reference=case.reference,
            details={
                "before": before.get_username() if before else None,
                "after": assignee.get_username() if assignee else None,
            },
        )
    return case


@denials_logged
def note_add(*, case: Case, author: Any, body: str) -> Note:
    """An internal note; staff only, never shown to officers."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("The note is empty.")})
    if len(body) > NOTE_MAX:
        raise ValidationError(
            {"body": _("A note may hold at most %(max)s characters.") % {"max": NOTE_MAX}}
        )
    with transaction.atomic():
        case = case_check(author, case.pk, CaseAction.WORK)
        refusal = work_refusal(case, Work.NOTE)
        if refusal:
            raise ValidationError({"body": refusal})
        note = Note.objects.create(case=case, author=author, body=body)
        timeline_event_add(
            case=case,
            kind=TimelineKind.NOTE,
            actor=author,
            message=gettext_noop("Note added."),
        )
        access_event_record(
            action="note_add",
            actor=author,
            obj=note,
            case_reference=case.reference,
        )
    return note


@denials_logged
def attachment_add(
    *,
    case: Case,
    actor: Any,
    file: UploadedFile,
    description: str = "",
) -> Attachment:
    """Add a file to the case: checked like process documents, stored by SHA-256."""
    checked = upload_check(file, field="file")
    case = case_check(actor, case.pk, CaseAction.WORK)
    # outside the atomic block: a failed transaction (or commit) removes the new file
    with upload_stored(checked, folder=ATTACHMENT_FOLDER) as stored_name, transaction.atomic():
        case = case_check(actor, case.pk, CaseAction.WORK)
        refusal = work_refusal(case, Work.ATTACH)
        if refusal:
            raise ValidationError({"file": refusal})
        attachment = Attachment.objects.create(
            case=case,
            uploaded_by=actor,
            file=stored_name,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            description=(description or "").strip()[:300],
        )
        timeline_event_add(
            case=case,
            kind=TimelineKind.ATTACHMENT,
            actor=actor,
            message=gettext_noop("File %(name)s attached (SHA-256 %(sha256)s)."),
            params={"name": checked.name, "sha256": checked.sha256},
        )
        access_event_record(
            action="attachment_add",
            actor=actor,
            obj=attachment,
            case_reference=case.reference,
            details={"sha256": checked.sha256, "size": checked.size},
        )
    return attachment


@denials_logged
def case_team_change(
    *,
    case: Case,
    team: Team,
    actor: Any,
    reason: str,
) -> Case:
    """Move a case to another team (supervisors of the current team, with a reason).

    An assignee who is not in the new team is removed, so the case shows as unassigned
    there instead of sitting with someone who can no longer open it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case moves to another team.")})
    with transaction.atomic():
        case = case_check(actor, case.pk, CaseAction.SUPERVISE, lock=True)
        before = case.team
        if before.pk == team.pk:
            return case
        fields = ["team", "updated_at"]
        case.team = team
        unassigned = None
        if case.assignee_id and not team.members.filter(pk=case.assignee_id).exists():
            unassigned = case.assignee
            case.assignee = None
            fields.append("assignee")
        case.save(update_fields=fields)
        timeline_event_add(
            case=case,
            kind=TimelineKind.TEAM,
            actor=actor,
            message=gettext_noop("Moved from team %(before)s to %(after)s: %(reason)s"),
            params={"before": before.name, "after": team.name, "reason": reason},
        )
        access_event_record(
            action="team_change",
            actor=actor,
            obj=case,
            case_reference=case.reference,
            details={
                "before": before.slug,
                "after": team.slug,
                "unassigned": unassigned.get_username() if unassigned else None,
            },
        )
    return case


def user_notice_applies(case: Case) -> bool:
    """Notice to the account holder is a duty of law-enforcement requests only: a
    child-safety incident never notifies the account holder (it could warn an abuser)."""
    return case.case_type == CaseType.REQUEST


@denials_logged
def user_notice_update(
    *,
    case: Case,
    status: str,
    actor: Any,
    reason: str = "",
    note: str = "",
    sent_at: datetime | None = None,
) -> Case:
    """Record the user-notice decision: pending, withheld (with a reason) or sent.

    Notice cannot be recorded as sent while a non-disclosure order of the case is in force.
    Sending meets the user-notice deadline; withholding for a reason other than the NDO
    cancels it (legal decided that notice will not be given).
    """
    from cases.rules import Clock

    errors: dict[str, str] = {}
    if status not in UserNoticeStatus.values:
        errors["status"] = _("Choose a user-notice status.")
    if status == UserNoticeStatus.WITHHELD and reason not in UserNoticeWithheldReason.values:
        errors["reason"] = _("Say why notice is withheld.")
    other = status == UserNoticeStatus.WITHHELD and reason == UserNoticeWithheldReason.OTHER
    if other and not (note or "").strip():
        errors["note"] = _("Explain the reason in the note.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        case = case_check(actor, case.pk, CaseAction.WORK, lock=True)
        refusal = work_refusal(case, Work.USER_NOTICE)
        if refusal:
            raise ValidationError({"status": refusal})
        if not user_notice_applies(case):
            raise ValidationError(
                {
                    "status": _(
                        "User notice applies to law-enforcement requests only; a child-safety "
                        "case never notifies the account holder."
                    )
                }
            )
        if status == UserNoticeStatus.SENT:
            today = Clock.from_settings().local_date(now)
            in_force = case.processes.filter(ndo=True).exclude(ndo_expires_on__lt=today)
            first = in_force.order_by("ndo_expires_on").first()
            if first is not None:
                raise ValidationError(
                    {
                        "status": _("A non-disclosure order forbids notice until %(date)s.")
                        % {"date": first.ndo_expires_on or _("it is lifted")}
                    }
                )
        before = case.user_notice_status
        updated = Case.objects.filter(pk=case.pk, user_notice_status=before).update(
            user_notice_status=status,
            user_notice_withheld_reason=reason if status == UserNoticeStatus.WITHHELD else "",
            user_notice_note=(note or "").strip(),
            user_notice_sent_at=(sent_at or now) if status == UserNoticeStatus.SENT else None,
            updated_at=now,
        )
        if updated != 1:
            raise ConcurrentUpdate(_("Someone else changed the user notice; reload the case."))
        case.refresh_from_db()
        notice = frozenset({DeadlineKind.USER_NOTICE})
        if status == UserNoticeStatus.SENT:
            deadlines_close(case=case, kinds=notice, status=DeadlineStatus.MET, now=now)
        elif status == UserNoticeStatus.WITHHELD and reason != UserNoticeWithheldReason.NDO:
            deadlines_close(case=case, kinds=notice, status=DeadlineStatus.CANCELLED, now=now)
        case_next_due_refresh(case=case)
        timeline_event_add(
            case=case,
            kind=TimelineKind.USER_NOTICE,
            actor=actor,
            message=gettext_noop("User notice: %(status)s %(reason)s"),
            params={
                "status": str(case.get_user_notice_status_display()),
                "reason": str(case.get_user_notice_withheld_reason_display() or ""),
            },
        )
        access_event_record(
            action="user_notice",
            actor=actor,
            obj=case,
            case_reference=case.reference,
            details={"before": before, "after": status, "reason": reason},
        )
    return case
