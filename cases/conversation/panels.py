"""The thread as a panel of the staff case page and of the officer's request page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.conversation.forms import MessageForm
from cases.conversation.selectors import thread_of
from cases.conversation.services import open_question
from cases.extensions import CasePanel
from cases.models import Case, CaseType
from cases.policy import CaseAction, case_allows

# A post that failed re-renders the page with its bound form (and the text typed so far).
BOUND_FORM_ATTR = "conversation_form"


def _context(request: HttpRequest, case: Case, *, can_post: bool) -> dict[str, Any] | None:
    if case.case_type != CaseType.REQUEST:
        return None
    form = getattr(request, BOUND_FORM_ATTR, None) or MessageForm(auto_id="msg_%s")
    thread = list(thread_of(case))
    return {
        "messages_thread": thread,
        "message_form": form if can_post else None,
        "open_question": open_question(case, thread),
    }


def _staff_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    can_post = case_allows(request.user, case, CaseAction.WORK)
    context = _context(request, case, can_post=can_post and case.is_open)
    if context is not None:
        context["message_side"] = "staff"
    return context


def _officer_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    context = _context(request, case, can_post=True)
    if context is not None:
        context["message_side"] = "officer"
    return context


STAFF_PANEL = CasePanel(
    name="conversation",
    template="conversation/panel.html",
    context=_staff_context,
    column="main",
    order=20,
)
OFFICER_PANEL = CasePanel(
    name="conversation-officer",
    template="conversation/panel.html",
    context=_officer_context,
    column="main",
    order=20,
    audience="officer",
)
