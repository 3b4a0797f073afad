"""Writes of the conversation: posting a message, and the question "needs information" asks.

Who may post is the case gate's answer: an officer of the agency on what they may view (their
agency's requests, colleagues included), staff on what they may work. Only requests have a
thread: a child-safety case has no agency on the other side. Each post is one transaction:
the message, its files (checked and stored by hash, removed again if the transaction fails),
the access-log row, the notifications of the other side, and, when the agency answers the
open question, the move back to triage.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.conversation.models import Message, MessageAttachment, Side
from cases.models import Case, CaseStatus, CaseType, TimelineKind
from cases.policy import CaseAction, acts_as_officer
from cases.selectors import case_check, denials_logged
from cases.services.submissions import submission_fingerprint, submission_key_problem
from cases.services.timeline import timeline_event_add
from cases.uploads import CheckedUpload, upload_check, upload_stored
from portal.accounts.models import User
from portal.audit.services import access_event_record
from portal.notifications.services import notification_send


class MessageKeyReused(ValidationError):
    """The key already names another message of this author on the case (a client bug)."""


MESSAGE_FOLDER = "cases/messages"
MAX_BODY = 10000
MAX_FILES = 10


def _text(body: str) -> str:
    body = (body or "").strip()
    if "\x00" in body:
        raise ValidationError({"body": _("The message contains a NUL character; remove it.")})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {"body": _("A message holds at most %(max)s characters.") % {"max": MAX_BODY}}
        )
    return body


@denials_logged
def message_post(
    *,
    case: Case,
    author: Any,
    body: str,
    files: Sequence[UploadedFile] = (),
    asks_for_information: bool = False,
    key: str = "",
) -> Message:
    """Post ``body`` (and ``files``) to the thread of ``case`` as ``author``.

    An officer's message on a request waiting for information answers the open question
    and moves the request back to triage, as the workflow's "Information received" does.

    With a ``key`` (the API's ``Idempotency-Key``, the form's hidden one) a retry is
    answered with the message the first attempt posted (``replayed`` set), never a second
    one: the check runs with the case row locked, so two attempts at once post once. The
    same key with other content is refused; a post that failed stores nothing, so its key
    may be used again.
    """
    officer = acts_as_officer(author)
    body = _text(body)
    problem = submission_key_problem(key) if key else ""
    if problem:
        raise ValidationError({"idempotency_key": problem})
    if not body and not files:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(files) > MAX_FILES:
        raise ValidationError(
            {"files": _("Send at most %(max)s files with one message.") % {"max": MAX_FILES}}
        )
    if officer and asks_for_information:
        raise ValidationError({"body": _("Only the provider's staff ask for information.")})
    checked = [upload_check(f, field="files") for f in files]
    fingerprint = _fingerprint(body, checked, asks_for_information) if key else ""
    action = CaseAction.VIEW if officer else CaseAction.WORK
    case = case_check(author, case.pk, action)  # early refusal, logged by denials_logged
    if case.case_type != CaseType.REQUEST:
        raise ValidationError({"body": _("Only law-enforcement requests have a conversation.")})
    with contextlib.ExitStack() as stored:
        names = [stored.enter_context(upload_stored(c, folder=MESSAGE_FOLDER)) for c in checked]
        with transaction.atomic():
            case = case_check(author, case.pk, action, lock=True)
            earlier = _earlier(case, author, key, fingerprint) if key else None
            if earlier is not None:
                # The files are the earlier message's own (same hashes), already stored.
                return earlier
            message = _message_save(
                case=case,
                author=author,
                side=Side.AGENCY if officer else Side.PROVIDER,
                body=body,
                asks=asks_for_information,
                files=list(zip(checked, names, strict=True)),
                key=key,
                fingerprint=fingerprint,
            )
    return message


def _fingerprint(body: str, files: list[CheckedUpload], asks: bool) -> str:
    """What a retry must repeat: the text, the files (name and hash, in order), the flag."""
    files_sent = [[f.name, f.sha256] for f in files]
    return submission_fingerprint({"body": body, "files": files_sent, "asks": asks})


def _earlier(case: Case, author: Any, key: str, fingerprint: str) -> Message | None:
    """The message ``key`` already posted on ``case``, or None; refuses other content."""
    earlier = Message.objects.filter(case=case, author=author, client_key=key).first()
    if earlier is None:
        return None
    if earlier.client_fingerprint != fingerprint:
        raise MessageKeyReused(
            {
                "idempotency_key": _(
                    "This idempotency key was already used for a different message. Use a "
                    "new key for each new message."
                )
            }
        )
    access_event_record(
        action="message_replayed",
        actor=author,
        obj=earlier,
        case_reference=case.reference,
    )
    earlier.replayed = True
    return earlier


def _message_save(
    *,
    case: Case,
    author: Any,
    side: str,
    body: str,
    asks: bool,
    files: list[tuple[CheckedUpload, str]],
    key: str = "",
    fingerprint: str = "",
    now: datetime | None = None,
) -> Message:
    now = now or timezone.now()
    question = None
    if side == Side.AGENCY:
        question = open_question(case)
    message = Message.objects.create(
        case=case,
        author=author,
        side=side,
        body=body,
        asks_for_information=asks,
        answers=question,
        created_at=now,
        client_key=key,
        client_fingerprint=fingerprint,
    )
    for checked, name in files:
        MessageAttachment.objects.create(
            message=message,
            file=name,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
    access_event_record(
        action="message_post",
        actor=author,
        obj=message,
        case_reference=case.reference,
        details={
            "side": side,
            "files": [c.sha256 for c, _name in files],
            "answers": question.pk if question else None,
        },
    )
    if question is not None and case.status == CaseStatus.NEEDS_INFO:
        from cases.workflow import case_transition  # the workflow imports this app's effect

        case_transition(
            case=case,
            to_status=CaseStatus.TRIAGE,
            actor=author,
            reason=_("The agency answered in the conversation."),
        )
    elif side == Side.AGENCY:
        timeline_event_add(
            case=case,
            kind=TimelineKind.NOTE,
            actor=author,
            public=True,
            message=gettext_noop("The agency sent a message."),
            params={},
        )
    _notify(message)
    return message


def open_question(case: Case, thread: list[Message] | None = None) -> Message | None:
    """The provider's latest question that no agency message has answered yet.

    ``thread``: the case's whole thread when the caller has it loaded (the panel shows it),
    read the same way without another query."""
    if thread is not None:
        answered = {m.answers_id for m in thread if m.answers_id is not None}
        asked = [m for m in thread if m.asks_for_information and m.pk not in answered]
        return max(asked, key=lambda m: (m.created_at, m.pk), default=None)
    return (
        Message.objects.filter(case=case, asks_for_information=True, answered_by__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def question_from_transition(*, case: Case, actor: Any, now: datetime, reason: str) -> None:
    """Transition effect of "needs information": the reason becomes the question in the
    thread, so the officer reads it where they answer it (registered in apps.py)."""
    if case.case_type != CaseType.REQUEST:
        return
    body = (reason or "").strip() or _("Please send the information we need for this request.")
    _message_save(case=case, author=actor, side=Side.PROVIDER, body=body, asks=True, files=[])


# --- Notifications ----------------------------------------------------------------------


def _agency_recipients(case: Case) -> list[User]:
    """The submitting officer; for a request that came another way, the agency's verified
    officers in good standing."""
    from portal.accounts.models import Officer

    if case.agency_id is None:
        return []
    officers = Officer.objects.select_related("user").filter(agency_id=case.agency_id)
    if case.submitting_officer_id:
        officers = officers.filter(pk=case.submitting_officer_id)
    return [o.user for o in officers if o.user.is_active and _in_good_standing(o)]


def _in_good_standing(officer: Any) -> bool:
    from portal.accounts.onboarding import officer_access_refusal

    return not officer_access_refusal(officer.user)


def _provider_recipients(case: Case) -> list[User]:
    """The assignee; an unassigned request: the staff of its team who may work it."""
    if case.assignee_id and case.assignee is not None:
        return [case.assignee]
    from cases.selectors import assignable_users

    return list(assignable_users(case))


def _notify(message: Message) -> None:
    """Tell the other side that a message arrived, in their language, without its text: an
    e-mail must not carry case content, so it only says where to read it."""
    case = message.case
    if message.side == Side.PROVIDER:
        recipients = _agency_recipients(case)
        url = reverse("officer:request", args=[case.reference]) + "#conversation"
    else:
        recipients = _provider_recipients(case)
        url = reverse("cases:detail", args=[case.reference]) + "#conversation"
    for user in recipients:
        if user.pk == message.author_id:
            continue
        with translation.override(user.language or None):
            if message.asks_for_information:
                subject = _("%(reference)s: information needed") % {"reference": case.reference}
            else:
                subject = _("%(reference)s: new message") % {"reference": case.reference}
            body = _(
                "There is a new message on request %(reference)s. Sign in to Liaison to read "
                "it and answer."
            ) % {"reference": case.reference}
        notification_send(
            user=user,
            subject=subject,
            body=body,
            url=url,
            kind="message",
            dedupe_key=f"message:{message.pk}",
        )
