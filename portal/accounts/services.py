"""Account writes: sign-in failures and lockout, second factors, passwords.

Each function is one durable state change that also writes its access event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.models import (
    BACKUP_CODE_ALPHABET,
    BackupCode,
    BackupCodeDevice,
    LoginFailure,
    User,
    _new_security_stamp,
)
from portal.audit.services import Outcome, access_event_record

BACKUP_CODE_COUNT = 10


@dataclass(frozen=True)
class FailureResult:
    locked: bool
    remaining: int


def login_failure_record(
    *, user: User | None, username: str, kind: str, request: HttpRequest | None
) -> FailureResult:
    """Count one failed sign-in step and lock the account on the fifth within the window.

    CJIS Security Policy AC-7: after 5 invalid attempts within 15 minutes the account is
    locked until an administrator releases it. Failures from before the last release do
    not count again.
    """
    action = "login_failed" if kind == LoginFailure.Kind.PASSWORD else "otp_failed"
    with transaction.atomic():
        access_event_record(
            action=action,
            request=request,
            actor=user,
            actor_label=user.get_username() if user else "(unknown user)",
            outcome=Outcome.FAILURE,
            details={} if user else {"username_known": False},
        )
        if user is None:
            return FailureResult(locked=False, remaining=settings.LIAISON_LOCKOUT_FAILURES)
        now = timezone.now()
        LoginFailure.objects.create(user=user, kind=kind, at=now)
        since = now - settings.LIAISON_LOCKOUT_WINDOW
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.lock_released_at and user.lock_released_at > since:
            since = user.lock_released_at
        failures = LoginFailure.objects.filter(user=user, at__gt=since).count()
        remaining = max(settings.LIAISON_LOCKOUT_FAILURES - failures, 0)
        if remaining == 0 and user.locked_at is None:
            User.objects.filter(pk=user.pk, locked_at__isnull=True).update(locked_at=now)
            access_event_record(
                action="lockout",
                request=request,
                actor=user,
                obj=user,
                outcome=Outcome.DENIED,
                details={"failures": failures},
            )
        return FailureResult(locked=remaining == 0, remaining=remaining)


def user_lock_release(*, user: User, actor: User, request: HttpRequest | None = None) -> None:
    """An administrator releases a locked account; earlier failures stop counting."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, locked_at__isnull=False).update(
            locked_at=None, lock_released_at=timezone.now()
        )
        if changed:
            access_event_record(action="lockout_released", request=request, actor=actor, obj=user)


def user_security_stamp_rotate(*, user: User, request: HttpRequest | None = None) -> None:
    """End every other session of the user (after a password or second-factor change).

    The current session, if any, is kept by re-hashing it with the new stamp.
    """
    user.security_stamp = _new_security_stamp()
    user.save(update_fields=["security_stamp"])
    if request is not None and getattr(request, "user", None) == user:
        update_session_auth_hash(request, user)


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator-app device for enrolment (reused while unconfirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str, request: HttpRequest | None) -> bool:
    """Confirm an enrolment with the first code the app shows; ends the user's other sessions."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if device.confirmed or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        user_security_stamp_rotate(user=device.user, request=request)
        access_event_record(action="otp_enrolled", request=request, actor=device.user, obj=device)
    return True


def totp_device_create_confirmed(*, user: User, name: str) -> TOTPDevice:
    """A confirmed TOTP device for operator bootstrap (``enrol_totp``)."""
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        user_security_stamp_rotate(user=user)
        access_event_record(
            action="otp_enrolled",
            actor_label="manage.py enrol_totp",
            obj=device,
            details={"user": user.get_username()},
        )
    return device


def backup_codes_generate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's backup codes with fresh ones and return them, the only time
    they are ever readable."""
    codes = [
        "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(10))
        for _ in range(BACKUP_CODE_COUNT)
    ]
    with transaction.atomic():
        device, _ = BackupCodeDevice.objects.get_or_create(
            user=user, defaults={"name": "Backup codes", "confirmed": True}
        )
        device.codes.all().delete()
        BackupCode.objects.bulk_create([BackupCode.for_code(device, code) for code in codes])
        access_event_record(
            action="backup_codes_generated", request=request, actor=user, obj=device
        )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def second_factor_verify(*, user: User, token: str) -> TOTPDevice | BackupCodeDevice | None:
    """Check a code against the user's confirmed devices; return the device that matched.

    Each device row is locked while it is checked, so one TOTP code cannot be accepted by
    two concurrent requests (django-otp refuses a time step at or before ``last_t``), and a
    backup code is deleted as it is used.
    """
    token = token.strip().replace(" ", "")
    if not token:
        return None
    devices: QuerySet[TOTPDevice] | QuerySet[BackupCodeDevice]
    with transaction.atomic():
        if token.isdigit() and len(token) == 6:
            devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        else:
            devices = BackupCodeDevice.objects.select_for_update().filter(user=user, confirmed=True)
        for device in devices:
            if device.verify_token(token):
                return device
    return None


def user_has_second_factor(user: User) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))
