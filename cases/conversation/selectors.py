"""Reads of the conversation. The case has passed the case gate already (the caller fetched
it with ``case_get_for_user``); these never widen what the gate allowed."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cases.conversation.models import Message, MessageAttachment
from cases.errors import CaseNotFound
from cases.models import Case


def thread_of(case: Case) -> QuerySet[Message]:
    """The messages of the case's thread, oldest first, with authors and files."""
    return (
        Message.objects.filter(case=case)
        .select_related("author", "answers")
        .prefetch_related(Prefetch("attachments", queryset=MessageAttachment.objects.all()))
        .order_by("created_at", "pk")
    )


def thread_attachment(case: Case, pk: int) -> MessageAttachment:
    """One file of the case's thread; another case's file is a 404 like a missing one."""
    attachment = MessageAttachment.objects.filter(pk=pk, message__case=case).first()
    if attachment is None:
        raise CaseNotFound
    return attachment
