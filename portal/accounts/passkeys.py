"""Passkeys (django-otp-webauthn) wired into our sign-in rules.

The library's views do the WebAuthn ceremonies; these subclasses add what the portal
requires of every second factor: an access event, a new session id after verification, the
lockout rule, and the end of other sessions when a new passkey is registered.

The library's views are plain Django views (``self.request`` is the ``HttpRequest``), and
an ``OTPWebAuthnApiError`` raised in them becomes a JSON answer whose ``detail`` the
library's script shows under the button. They are exempt from ``LoginRequiredMiddleware``
because its answer to a signed-out request, a redirect to the HTML sign-in page, is not
JSON: the script fails on it with a generic "unknown error" and an uncaught exception.
Each view still refuses a signed-out request itself (``_SignedInCeremony``).
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import AbstractWebAuthnCredential, WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from portal.accounts.lockout import lock_active_q
from portal.accounts.models import User
from portal.accounts.services import user_security_stamp_rotate
from portal.accounts.views import _locked_message
from portal.audit.access import audit_exempt
from portal.audit.services import Outcome, access_event_record

# Stored on the device like the authenticator app's "Authenticator app": the library
# leaves the name empty, and the security page lists devices by name.
PASSKEY_NAME = "Passkey"
_CEREMONY_AUDIT = "passkey ceremonies (part of sign-in): they log sign-ins and enrolments"


class AccountLocked(OTPWebAuthnApiError):
    """A locked account (CJIS AC-7) passes no second factor, a passkey included."""

    status_code = 403
    default_code = "account_locked"


class SessionEnded(OTPWebAuthnApiError):
    """The session ended (idle timeout, or another session changed the credentials)
    while the page was open."""

    status_code = 403
    default_code = "session_ended"


class PasswordAgain(OTPWebAuthnApiError):
    """Adding a passkey in a session whose password is old: give it again first (ASVS
    V3.7.1, security review finding 7), as for an authenticator app or backup codes."""

    status_code = 403
    default_code = "password_again"


def _passkey_refuse_locked(request: HttpRequest) -> None:
    """Refuse a locked account and end its half-signed-in session, as ``verify_view`` does.

    The authentication backend already treats a locked user as signed out on every request,
    so the session's user is read from the session itself: the person then learns why,
    instead of getting a generic failure. The refusal is logged like a locked password try.
    """
    user_id = request.session.get(SESSION_KEY)  # set while signed in, kept when refused
    locked = User.objects.filter(lock_active_q(), pk=user_id).first() if user_id else None
    if locked is None:
        return
    access_event_record(
        action="login_failed",
        request=request,
        actor=locked,
        outcome=Outcome.DENIED,
        details={"reason": "locked", "device": "passkey"},
    )
    logout(request)
    raise AccountLocked(detail=_locked_message())


class _SignedInCeremony:
    """Answers a signed-out request in JSON, with the reason the script shows."""

    refuse_locked = False

    def initial(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if self.refuse_locked:
            _passkey_refuse_locked(request)
        if not request.user.is_authenticated:
            raise SessionEnded(detail=_("Your session has ended. Please sign in again."))
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


@audit_exempt(_CEREMONY_AUDIT)
@method_decorator(login_not_required, name="dispatch")
class PasskeyAuthenticationBegin(_SignedInCeremony, BeginCredentialAuthenticationView):
    """Second step with a passkey, part one: the challenge, for a signed-in, unlocked user."""

    refuse_locked = True


@audit_exempt(_CEREMONY_AUDIT)
@method_decorator(login_not_required, name="dispatch")
class PasskeyAuthenticationComplete(_SignedInCeremony, CompleteCredentialAuthenticationView):
    """Second step with a passkey, part two: the same rules as a code in ``verify_view``.

    The lock is checked again here: it may fall between the challenge and the answer.
    """

    refuse_locked = True

    def complete_auth(self, device: AbstractWebAuthnCredential) -> AbstractBaseUser:
        super().complete_auth(device)
        self.request.session.cycle_key()  # a new session id once both factors are passed
        access_event_record(
            action="login",
            request=self.request,
            actor=device.user,
            details={"step": "second_factor", "device": "passkey"},
        )
        return device.user


@audit_exempt(_CEREMONY_AUDIT)
@method_decorator(login_not_required, name="dispatch")
class PasskeyRegistrationBegin(_SignedInCeremony, BeginCredentialRegistrationView):
    """Adding a passkey, part one (the library checks the session passed a second factor;
    we check the password was given lately, ``LIAISON_REAUTH_SECONDS``)."""

    def initial(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        from django.conf import settings
        from django.urls import reverse

        from portal.accounts.views import REAUTH_AT_KEY

        given = request.session.get(REAUTH_AT_KEY) or 0
        if time.time() - given > settings.LIAISON_REAUTH_SECONDS:
            raise PasswordAgain(
                detail=_("Give your password again first: %(url)s")
                % {"url": reverse("accounts:confirm") + "?next=" + reverse("accounts:security")}
            )


@audit_exempt(_CEREMONY_AUDIT)
@method_decorator(login_not_required, name="dispatch")
class PasskeyRegistrationComplete(_SignedInCeremony, CompleteCredentialRegistrationView):
    """A new passkey is a second-factor change: it ends the user's other sessions (the
    current one is kept) and is logged like an authenticator app's enrolment."""

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        # A failed ceremony raises here, and the library's dispatch answers with the error.
        response = super().post(*args, **kwargs)
        user = cast(User, self.request.user)  # _SignedInCeremony refused anyone else
        with transaction.atomic():
            device = WebAuthnCredential.objects.select_for_update().get(
                pk=json.loads(response.content)["id"], user=user
            )
            if not device.name:
                device.name = PASSKEY_NAME
                device.save(update_fields=["name"])
            user_security_stamp_rotate(user=user, request=self.request)
            access_event_record(
                action="otp_enrolled",
                request=self.request,
                actor=user,
                obj=device,
                details={"device": "passkey"},
            )
        return response
