"""Sign-in in two steps (password, then a second factor), enrolment and the security page."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.accounts.forms import (
    ConfirmPasswordForm,
    EnrolForm,
    PasswordStepForm,
    SecondFactorForm,
    TimeZoneForm,
)
from portal.accounts.lockout import (
    login_attempt_failed,
    login_attempt_start,
    login_attempt_succeeded,
)
from portal.accounts.middleware import AUTH_AT_KEY
from portal.accounts.models import LoginFailure, User
from portal.accounts.qr import otpauth_qr_svg
from portal.accounts.services import (
    backup_codes_generate,
    second_factor_verify,
    totp_code_already_used,
    totp_device_confirm,
    totp_device_start,
    user_security_stamp_rotate,
    user_time_zone_set,
)
from portal.audit.services import Outcome, access_event_record
from portal.http import AuthenticatedHttpRequest


def _locked_message() -> str:
    """Shown once the second step locked the account (the person proved the password)."""
    return _(
        "This account is locked after repeated failed sign-in attempts. "
        "Wait %(minutes)d minutes, or ask an administrator to release it."
    ) % {"minutes": _lockout_minutes()}


def _refused_message() -> str:
    """The one answer of the password step to a wrong password, an unknown username and a
    locked account alike, so that it tells nobody which usernames exist (issue 9, item 13)."""
    return _(
        "Wrong username or password, or sign-in is paused for up to %(minutes)d minutes "
        "after repeated failed attempts."
    ) % {"minutes": _lockout_minutes()}


def _lockout_minutes() -> int:
    from django.conf import settings

    duration = settings.LIAISON_LOCKOUT_DURATION or settings.LIAISON_LOCKOUT_WINDOW
    return int(duration.total_seconds() // 60)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _second_factor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For pages under /accounts/ that change credentials: the middleware leaves /accounts/
    open to half-signed-in users (they must reach verify and enrol), so without this a
    password alone could mint backup codes and pass the second step with them."""

    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_verified():
            return redirect("accounts:verify")
        return view(request, *args, **kwargs)

    return wrapped


REAUTH_AT_KEY = "liaison_reauth_at"


def _recent_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Adding a second factor or replacing backup codes asks for the password again unless
    it was given in the last ``LIAISON_REAUTH_SECONDS`` (ASVS V3.7.1; security review,
    finding 7): a session left open on a desk must not let someone plant their own factor."""

    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from django.conf import settings

        given = request.session.get(REAUTH_AT_KEY) or 0
        if time.time() - given > settings.LIAISON_REAUTH_SECONDS:
            return HttpResponseRedirect(_with_next("accounts:confirm", request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapped


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    if next_url and next_url != reverse("home"):
        from urllib.parse import urlencode

        url += "?" + urlencode({"next": next_url})
    return url


def _refusal_log(request: HttpRequest, user: User) -> None:
    """The right credential arrived while the account got locked: refused after all."""
    access_event_record(
        action="login_failed",
        request=request,
        actor=user,
        outcome=Outcome.DENIED,
        details={"reason": "locked"},
    )


@login_not_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: username and password. Success signs in without the second factor yet."""
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(_next_url(request))
    form = PasswordStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        known = User.objects.filter(username=username).first()
        # Counted before the password is checked, and re-checked after (lockout.py).
        attempt = login_attempt_start(
            user=known, username=username, kind=LoginFailure.Kind.PASSWORD, request=request
        )
        user = None
        if attempt.allowed:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                login_attempt_failed(attempt=attempt, username=username, request=request)
            elif not login_attempt_succeeded(attempt):
                _refusal_log(request, user)
                user = None
        if user is None:
            form.add_error(None, _refused_message())
        else:
            login(request, user)
            request.session[AUTH_AT_KEY] = request.session[REAUTH_AT_KEY] = time.time()
            access_event_record(action="login", request=request, details={"step": "password"})
            step = "accounts:verify" if user_has_device(user) else "accounts:enrol"
            return HttpResponseRedirect(_with_next(step, _next_url(request)))
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step two: a TOTP code, a backup code, or a passkey."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not user_has_device(user):
        return redirect("accounts:enrol")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        attempt = login_attempt_start(
            user=user,
            username=user.get_username(),
            kind=LoginFailure.Kind.SECOND_FACTOR,
            request=request,
        )
        device = second_factor_verify(user=user, token=token) if attempt.allowed else None
        if device is not None and login_attempt_succeeded(attempt):
            otp_login(request, device)
            request.session.cycle_key()
            access_event_record(
                action="login",
                request=request,
                details={"step": "second_factor", "device": device._meta.model_name},
            )
            return redirect(_next_url(request))
        if device is not None:  # right, but the account was locked while it was checked
            _refusal_log(request, user)
            locked = True
        elif attempt.allowed:
            locked = login_attempt_failed(
                attempt=attempt, username=user.get_username(), request=request
            ).locked
        else:
            locked = attempt.reason != "address"
        if locked:
            logout(request)
            messages.error(request, _locked_message())
            return redirect("accounts:login")
        if not attempt.allowed:
            form.add_error("token", _refused_message())
        elif totp_code_already_used(user=user, token=token):
            form.add_error(
                "token",
                _("That code was already used. Wait for the app to show the next one."),
            )
        else:
            form.add_error("token", _("That code is not valid. Check the app and try again."))
    has_passkey = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "next": request.GET.get("next", ""), "has_passkey": has_passkey},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """First sign-in: add an authenticator app, then receive backup codes once. A user who
    has a factor already and adds another gives the password again first."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect("accounts:verify")
    if user_has_device(user):
        return _recent_auth_required(_enrol)(request)
    return _enrol(request)


def _enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    device = totp_device_start(user=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(device=device, token=form.cleaned_data["token"], request=request):
            from portal.accounts.tokens import api_tokens_active

            device.refresh_from_db()
            # A first enrolment has no tokens yet; adding another factor is a change to offer
            # token revocation after, like a password change.
            changed = user.is_verified()
            if not changed:
                otp_login(request, device)
                request.session.cycle_key()
            codes = backup_codes_generate(user=user)
            return render(
                request,
                "accounts/backup_codes.html",
                {
                    "codes": codes,
                    "next": _next_url(request),
                    "active_tokens": api_tokens_active(user).count() if changed else 0,
                },
            )
        form.add_error("token", _("That code does not match. Check the app's clock and retry."))
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_svg": otpauth_qr_svg(device.config_url),
            "secret": _base32_secret(device),
            "next": request.GET.get("next", ""),
        },
    )


def _base32_secret(device: TOTPDevice) -> str:
    import base64

    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@never_cache
@_second_factor_required
@require_http_methods(["GET", "POST"])
def security_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own security page: devices, backup codes, password, time zone."""
    from portal.accounts.tokens import api_tokens_revoke_own

    password_form = PasswordChangeForm(request.user, request.POST or None)
    # The page is mostly read; focus stays where the keyboard user puts it.
    password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and password_form.is_valid():
        password_form.save()
        user_security_stamp_rotate(user=request.user, request=request)
        access_event_record(action="password_changed", request=request, obj=request.user)
        messages.success(request, _("Password changed. Your other sessions have been ended."))
        # API tokens are separate credentials: they survive a password change unless the
        # user revokes them, which the form offers (security review, finding 7).
        if request.POST.get("revoke_tokens"):
            _tokens_revoked_message(request, api_tokens_revoke_own(user=request.user))
        else:
            _tokens_survive_warning(request)
        return redirect("accounts:security")
    return _security_page(request, password_form=password_form)


def _security_page(
    request: AuthenticatedHttpRequest,
    *,
    password_form: PasswordChangeForm | None = None,
    zone_form: TimeZoneForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from django_otp import devices_for_user

    from portal.accounts.tokens import api_tokens_active
    from portal.accounts.zones import user_zone_choice

    if password_form is None:
        password_form = PasswordChangeForm(request.user)
        password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    tokens = api_tokens_active(request.user)
    devices = [d for d in devices_for_user(request.user, confirmed=True)]
    backup_left = sum(d.codes.count() for d in devices if hasattr(d, "codes"))
    return render(
        request,
        "accounts/security.html",
        {
            "password_form": password_form,
            "zone_form": zone_form or TimeZoneForm(user=request.user),
            "zone": user_zone_choice(request.user),
            "devices": devices,
            "backup_left": backup_left,
            "active_tokens": len(tokens),
            "tokens": tokens,
        },
        status=status,
    )


@never_cache
@_second_factor_required
@require_POST
def time_zone_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose the zone times are shown in (or go back to the team's)."""
    from django.core.exceptions import ValidationError

    from portal.accounts.zones import user_zone_choice

    form = TimeZoneForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            user_time_zone_set(
                user=request.user, time_zone=form.cleaned_data["time_zone"], actor=request.user
            )
        except ValidationError as error:
            for message in error.message_dict.get("time_zone", error.messages):
                form.add_error("time_zone", message)
        else:
            messages.success(
                request,
                _("Times are now shown in %(zone)s.")
                % {"zone": user_zone_choice(request.user).name},
            )
            return redirect("accounts:security")
    return _security_page(request, zone_form=form, status=400)


def _tokens_survive_warning(request: AuthenticatedHttpRequest) -> None:
    """After a credential change: say that API tokens still work, and where to revoke them."""
    from portal.accounts.tokens import api_tokens_active

    count = api_tokens_active(request.user).count()
    if count:
        messages.warning(
            request,
            _(
                "Your %(n)d API token(s) still work. Revoke them if they may be known "
                "to whoever knew your old password or second factor."
            )
            % {"n": count},
        )


def _tokens_revoked_message(request: AuthenticatedHttpRequest, count: int) -> None:
    messages.info(request, _("%(n)d API token(s) revoked.") % {"n": count})


@never_cache
@_second_factor_required
@require_POST
def tokens_revoke_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Revoke all of one's own API tokens (offered after a password or factor change).

    No fresh password is asked: revoking only takes access away."""
    from portal.accounts.tokens import api_tokens_revoke_own

    _tokens_revoked_message(request, api_tokens_revoke_own(user=request.user))
    return redirect("accounts:security")


@never_cache
@_second_factor_required
@require_http_methods(["GET", "POST"])
def confirm_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Give the password again before changing second factors (counted like a sign-in)."""
    form = ConfirmPasswordForm(request.POST or None)
    user = request.user
    if request.method == "POST" and form.is_valid():
        attempt = login_attempt_start(
            user=user,
            username=user.get_username(),
            kind=LoginFailure.Kind.PASSWORD,
            request=request,
        )
        right = attempt.allowed and user.check_password(form.cleaned_data["password"])
        if right and login_attempt_succeeded(attempt):
            request.session[REAUTH_AT_KEY] = time.time()
            access_event_record(action="reauthenticated", request=request, obj=user)
            return redirect(_next_url(request))
        if (
            attempt.allowed
            and not right
            and login_attempt_failed(
                attempt=attempt, username=user.get_username(), request=request
            ).locked
        ):
            logout(request)
            messages.error(request, _locked_message())
            return redirect("accounts:login")
        form.add_error("password", _("That is not your password."))
    return render(
        request, "accounts/confirm.html", {"form": form, "next": request.GET.get("next", "")}
    )


@never_cache
@_second_factor_required
@require_POST
@_recent_auth_required
def backup_codes_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    from portal.accounts.tokens import api_tokens_active

    codes = backup_codes_generate(user=request.user)
    user_security_stamp_rotate(user=request.user, request=request)
    return render(
        request,
        "accounts/backup_codes.html",
        {
            "codes": codes,
            "next": reverse("accounts:security"),
            "active_tokens": api_tokens_active(request.user).count(),
        },
    )


@login_not_required
@never_cache
def admin_login_view(request: HttpRequest) -> HttpResponse:
    """Stands in for the admin's own sign-in form, which checks passwords outside the
    lockout count (an unlimited password-guessing oracle); everyone signs in here."""
    from django.contrib import admin
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    if not request.user.is_authenticated:
        return redirect_to_login(_next_url(request))
    if admin.site.has_permission(request):
        return redirect("admin:index")
    raise PermissionDenied


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        access_event_record(action="logout", request=request)
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")
