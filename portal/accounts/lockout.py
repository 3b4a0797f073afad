"""The sign-in lockout (NIST 800-53 AC-7, which the CJIS Security Policy adopts): one place.

The rule: 5 failed attempts (password or second factor, together) within 15 minutes lock
the account for 30 minutes, unless an administrator releases it earlier
(``LIAISON_LOCKOUT_FAILURES``, ``LIAISON_LOCKOUT_WINDOW_MINUTES``,
``LIAISON_LOCKOUT_MINUTES``; 0 minutes: until released). A lock of limited length is what
AC-7 allows, and it keeps the lockout from being a weapon: anyone who knows a username can
trigger it, but only for half an hour. A locked web sign-in leaves the user's API tokens
alone; a token is another credential with its own rate limit.

Why counted before checking: checking the password first and counting the failure after
let 20 concurrent attempts all be checked (security review, finding 4). Now each attempt
first takes the user's row lock, counts the attempts already made or in flight in the
window, and is refused unchecked if that reaches the limit; otherwise it is recorded as a
failure *before* the password or code is checked, and un-recorded only if the check
passes and, re-checked under the row lock, the account did not get locked meanwhile. So at
most ``LIAISON_LOCKOUT_FAILURES`` wrong passwords or codes are checked per window, however
many arrive at once (a right one gives its slot back: that may let one more attempt in, and
if it is wrong it is one of the five).

Client addresses are limited too (``LIAISON_LOCKOUT_ADDRESS_FAILURES`` failures per window),
in the shared cache (``CACHE_URL``; Redis in production), so that one address cannot try
username after username. Unknown usernames count against the address only.

Hand-written rather than django-axes: ADR 0001 (the second factor counts too, the lock
must be a row lock inside our own transaction, and the audit event is ours).
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from portal.accounts.models import LoginFailure, User
from portal.audit.services import Outcome, access_event_record
from portal.net import client_ip

_ADDRESS_KEY = "liaison:lockout:address:"


def lock_active_q(now: datetime | None = None) -> Q:
    """Users whose lock is in force (for querysets: ``User.objects.filter(lock_active_q())``)."""
    duration = settings.LIAISON_LOCKOUT_DURATION
    if not duration:
        return Q(locked_at__isnull=False)
    return Q(locked_at__gt=(now or timezone.now()) - duration)


def user_lock_active(user: User, now: datetime | None = None) -> bool:
    """Is the user's lock in force right now? (A lock ends by itself after the period.)"""
    if user.locked_at is None:
        return False
    duration = settings.LIAISON_LOCKOUT_DURATION
    return not duration or user.locked_at > (now or timezone.now()) - duration


def _counting_since(user: User, now: datetime) -> datetime:
    """Failures before a release, or before a lock that has run out, never count again."""
    since = now - settings.LIAISON_LOCKOUT_WINDOW
    for moment in (user.lock_released_at, user.locked_at):
        if moment is not None and moment > since:
            since = moment
    return since


def _address_key(request: HttpRequest | None) -> str | None:
    address = client_ip(request) if request is not None else None
    if not address:
        return None
    return _ADDRESS_KEY + hashlib.sha256(address.encode()).hexdigest()[:32]


def _address_take(key: str | None) -> bool:
    """Count one attempt from this address; False when it is over its limit (not counted)."""
    if key is None:
        return True
    window = int(settings.LIAISON_LOCKOUT_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        taken = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        taken = 1
    if taken > settings.LIAISON_LOCKOUT_ADDRESS_FAILURES:
        cache.decr(key)
        return False
    return True


def _address_give_back(key: str | None) -> None:
    if key is None:
        return
    with contextlib.suppress(ValueError):
        cache.decr(key)


@dataclass
class LoginAttempt:
    """One sign-in step in progress: counted already, to be settled by ``succeeded``/``failed``.

    ``allowed`` False: refused before any check (locked, or too many attempts from the
    account or the address); the caller shows the same message as for a wrong password.
    """

    user: User | None
    kind: str
    allowed: bool
    reason: str = ""
    failure_id: int | None = None
    address_key: str | None = None


def login_attempt_start(
    *, user: User | None, username: str, kind: str, request: HttpRequest | None
) -> LoginAttempt:
    """Count an attempt before its password or code is checked (see the module docstring)."""
    address_key = _address_key(request)
    if not _address_take(address_key):
        _refusal_record(user=user, username=username, kind=kind, request=request, reason="address")
        return LoginAttempt(user=user, kind=kind, allowed=False, reason="address")
    if user is None:
        return LoginAttempt(user=None, kind=kind, allowed=True, address_key=address_key)
    with transaction.atomic():
        now = timezone.now()
        locked = User.objects.select_for_update().get(pk=user.pk)
        reason = ""
        if user_lock_active(locked, now):
            reason = "locked"
        elif (
            LoginFailure.objects.filter(user=locked, at__gt=_counting_since(locked, now)).count()
            >= settings.LIAISON_LOCKOUT_FAILURES
        ):
            reason = "too_many_attempts"  # in flight: the lock follows when they fail
        if reason:
            _refusal_record(user=user, username=username, kind=kind, request=request, reason=reason)
            allowed = False
            failure_id = None
        else:
            allowed = True
            failure_id = LoginFailure.objects.create(user=locked, kind=kind, at=now).pk
    if not allowed:
        _address_give_back(address_key)
    return LoginAttempt(
        user=user,
        kind=kind,
        allowed=allowed,
        reason=reason,
        failure_id=failure_id,
        address_key=address_key,
    )


def login_attempt_succeeded(attempt: LoginAttempt) -> bool:
    """The password or code was right: un-count it, unless the account got locked while it
    was being checked (then False, and the step must be refused after all)."""
    _address_give_back(attempt.address_key)
    if attempt.user is None or attempt.failure_id is None:
        return True
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=attempt.user.pk)
        if user_lock_active(user):
            return False
        LoginFailure.objects.filter(pk=attempt.failure_id).delete()
    return True


@dataclass(frozen=True)
class FailureResult:
    locked: bool
    remaining: int


def login_attempt_failed(
    *, attempt: LoginAttempt, username: str, request: HttpRequest | None
) -> FailureResult:
    """The password or code was wrong: it stays counted; lock on reaching the limit."""
    return _failure_settle(
        user=attempt.user,
        username=username,
        kind=attempt.kind,
        request=request,
        counted=attempt.failure_id is not None,
    )


def login_failure_count(
    *, user: User | None, username: str, kind: str, request: HttpRequest | None
) -> FailureResult:
    """Count one failed step that was not started with ``login_attempt_start`` (a passkey
    assertion that failed, an operator's test) and lock on reaching the limit."""
    return _failure_settle(user=user, username=username, kind=kind, request=request, counted=False)


def _failure_settle(
    *, user: User | None, username: str, kind: str, request: HttpRequest | None, counted: bool
) -> FailureResult:
    action = "login_failed" if kind == LoginFailure.Kind.PASSWORD else "otp_failed"
    limit = settings.LIAISON_LOCKOUT_FAILURES
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
            return FailureResult(locked=False, remaining=limit)
        now = timezone.now()
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not counted:
            LoginFailure.objects.create(user=locked, kind=kind, at=now)
        if user_lock_active(locked, now):
            return FailureResult(locked=True, remaining=0)
        failures = LoginFailure.objects.filter(
            user=locked, at__gt=_counting_since(locked, now)
        ).count()
        remaining = max(limit - failures, 0)
        if remaining == 0:
            User.objects.filter(pk=locked.pk).update(locked_at=now)
            access_event_record(
                action="lockout",
                request=request,
                actor=locked,
                obj=locked,
                outcome=Outcome.DENIED,
                details={
                    "failures": failures,
                    "minutes": int(settings.LIAISON_LOCKOUT_DURATION.total_seconds() // 60),
                },
            )
        return FailureResult(locked=remaining == 0, remaining=remaining)


def _refusal_record(
    *, user: User | None, username: str, kind: str, request: HttpRequest | None, reason: str
) -> None:
    """A step refused before its check: logged (who, why), never counted again."""
    access_event_record(
        action="login_failed" if kind == LoginFailure.Kind.PASSWORD else "otp_failed",
        request=request,
        actor=user,
        actor_label=user.get_username() if user else "(unknown user)",
        outcome=Outcome.DENIED,
        details={"reason": reason, **({} if user else {"username_known": False})},
    )
