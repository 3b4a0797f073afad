"""Passkeys (django-otp-webauthn) wired into our sign-in rules.

The library's views do the WebAuthn ceremonies; these subclasses add what the portal
requires of every second factor: an access event, a new session id after verification, the
lockout rule, and the end of other sessions when a new passkey is registered.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django_otp_webauthn.views import (
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from portal.accounts.models import User
from portal.accounts.services import user_security_stamp_rotate
from portal.audit.services import access_event_record


class PasskeyAuthenticationComplete(CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        if User.objects.filter(pk=device.user_id, locked_at__isnull=False).exists():
            raise PermissionDenied
        user = super().complete_auth(device)
        self.request.session.cycle_key()
        access_event_record(
            action="login",
            request=self.request,
            actor=device.user,
            details={"step": "second_factor", "device": "passkey"},
        )
        return user


class PasskeyRegistrationComplete(CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            user_security_stamp_rotate(user=self.request.user, request=self.request._request)
            access_event_record(
                action="otp_enrolled",
                request=self.request._request,
                details={"device": "passkey"},
            )
        return response
