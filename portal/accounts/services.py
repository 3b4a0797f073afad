"""Account writes: sign-in failures and lockout, second factors, passwords, preferences.

Each function is one durable state change that also writes its access event.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.lockout import FailureResult, login_failure_count
from portal.accounts.models import (
    BACKUP_CODE_ALPHABET,
    BackupCode,
    BackupCodeDevice,
    User,
    _new_security_stamp,
)
from portal.audit.services import access_event_record

BACKUP_CODE_COUNT = 10


def login_failure_record(
    *, user: User | None, username: str, kind: str, request: HttpRequest | None
) -> FailureResult:
    """Count one failed sign-in step and lock the account on reaching the limit.

    The rule (AC-7: 5 in 15 minutes lock for 30, or until released) and the race-free
    counting of the sign-in views live in ``portal.accounts.lockout``.
    """
    return login_failure_count(user=user, username=username, kind=kind, request=request)


def user_lock_release(*, user: User, actor: User) -> None:
    """An administrator releases a locked account; earlier failures stop counting."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, locked_at__isnull=False).update(
            locked_at=None, lock_released_at=timezone.now()
        )
        if changed:
            access_event_record(action="lockout_released", actor=actor, obj=user)


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


def backup_codes_generate(*, user: User) -> list[str]:
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
        access_event_record(action="backup_codes_generated", actor=user, obj=device)
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


def totp_code_already_used(*, user: User, token: str) -> bool:
    """Was this code right, but for a time step already used? The person then needs to
    know to wait for the next code, not to suspect their app (issue 9, item 14).

    django-otp refuses any step at or before the device's ``last_t``; this recomputes the
    codes of the steps within the device's tolerance that are at or before it.
    """
    from django_otp.oath import TOTP, hotp

    token = token.strip().replace(" ", "")
    if not (token.isdigit() and len(token) == 6):
        return False
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        now_t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
        for step in range(now_t - device.tolerance, now_t + device.tolerance + 1):
            if step <= device.last_t and hotp(device.bin_key, step, device.digits) == int(token):
                return True
    return False


def user_time_zone_set(*, user: User, time_zone: str, actor: User) -> bool:
    """Set the zone ``user`` reads times in; "" goes back to their team's zone
    (``portal.accounts.zones``). A name tzdata does not know is refused with a
    ``ValidationError`` on ``time_zone``. Returns whether anything changed; a change is
    in the access log with the zone before and after.

    Only the user themself changes it here (an administrator uses the admin, which logs
    its own changes)."""
    if actor.pk != user.pk:
        raise PermissionDenied
    time_zone = time_zone.strip()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.time_zone
        if before == time_zone:
            return False
        locked.time_zone = time_zone
        # Only the field that changes: a legacy value elsewhere on the row is not this
        # form's problem.
        locked.clean_fields(exclude=[f.name for f in User._meta.fields if f.name != "time_zone"])
        locked.save(update_fields=["time_zone"])
        access_event_record(
            action="time_zone_changed",
            actor=actor,
            obj=locked,
            details={"before": before, "after": time_zone},
        )
    user.time_zone = time_zone
    return True


def user_has_second_factor(user: User) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))
