"""The officer portal (``/officer/``), the public application and the enrolment link."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.enrolment import (
    enrolment_link_claim,
    enrolment_token_user,
    officer_password_set_from_link,
)
from portal.accounts.middleware import AUTH_AT_KEY
from portal.accounts.onboarding import REFUSAL_LABELS, officer_access_refusal, officer_apply
from portal.accounts.roles import Role, has_role
from portal.accounts.tokens import api_token_issue, api_token_revoke, api_tokens_of_user
from portal.audit.access import audit_exempt
from portal.audit.services import Outcome, access_event_record
from portal.http import AuthenticatedHttpRequest
from portal.officers.forms import ApplicationForm, TokenCreateForm
from portal.officers.selectors import api_token_get_for_owner
from portal.ratelimits import address_limited


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Officer pages: 404 for anyone without the officer role; an explanation (403) for an
    officer who may not act now (suspended officer or agency)."""

    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, Role.OFFICER):
            raise Http404
        refusal = officer_access_refusal(request.user)
        if refusal is not None:
            return render(
                request,
                "officer/refused.html",
                {"reason": REFUSAL_LABELS[refusal]},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapped


@audit_exempt("the officer's own API tokens; issuing one records token_issued")
@never_cache
@officer_required
@require_http_methods(["GET", "POST"])
def tokens_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List, create and revoke one's own API tokens. A new token is shown once, on the
    answer to the POST that made it; it is never stored or shown again."""
    form = TokenCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_issue(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenCreateForm()
    return render(
        request,
        "officer/tokens.html",
        {"form": form, "issued": issued, "tokens": api_tokens_of_user(request.user)},
    )


@audit_exempt("revokes the officer's own token; records token_revoked")
@officer_required
@require_POST
def token_revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = api_token_get_for_owner(request.user, pk)
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("officer:tokens")


@audit_exempt("public application form; an application records officer_applied")
@login_not_required
@require_http_methods(["GET", "POST"])
@address_limited("officer-apply", rate_setting="LIAISON_APPLY_RATE")
def apply_view(request: HttpRequest) -> HttpResponse:
    """Public: an officer asks for an account. Staff verify it by calling the agency back."""
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            officer_apply(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("officer:apply_done")
    return render(request, "officer/apply.html", {"form": form})


@audit_exempt("static confirmation page")
@login_not_required
def apply_done_view(request: HttpRequest) -> HttpResponse:
    return render(request, "officer/apply_done.html")


@audit_exempt("enrolment link: records password_set and login, or the refusal")
@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
@address_limited("officer-enrol", rate_setting="LIAISON_ENROL_RATE", methods=("GET", "POST"))
def enrol_view(request: HttpRequest, token: str) -> HttpResponse:
    """A verified officer's one-time link: set a password, then the usual 2FA enrolment."""
    user = enrolment_token_user(token)
    if user is None:
        access_event_record(
            action="enrolment_link_refused", request=request, outcome=Outcome.DENIED
        )
        return render(request, "officer/enrol_invalid.html", status=400)
    if not enrolment_link_claim(token, request):
        # Opened before in another browser: a copy read from a log opens nothing.
        access_event_record(
            action="enrolment_link_refused",
            request=request,
            outcome=Outcome.DENIED,
            obj=user,
            details={"reason": "opened_elsewhere"},
        )
        return render(request, "officer/enrol_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        officer_password_set_from_link(user=user, password=form.cleaned_data["new_password1"])
        login(request, user)
        request.session[AUTH_AT_KEY] = time.time()
        access_event_record(action="login", request=request, details={"step": "enrolment_link"})
        return redirect("accounts:enrol")
    return render(request, "officer/enrol.html", {"form": form, "user_shown": user})
