"""API tokens: issue, revoke, and check one presented in ``Authorization: Bearer``.

A token reads ``lia_<prefix>_<secret>``: ``prefix`` is 8 random characters that find the row
with one index lookup, ``secret`` is 32 random bytes (URL-safe base64). Only the SHA-256
digest of the whole token is stored. Why a plain, fast hash is right here and a password hash
is not: ``docs/decisions/`` (API tokens hashed at rest).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import ApiToken, User
from portal.accounts.onboarding import officer_access_refusal
from portal.accounts.roles import user_roles_preload
from portal.audit.models import Action
from portal.audit.services import Outcome, access_event_record

TOKEN_PREFIX = "lia"  # noqa: S105 - a public marker, not a secret
_PREFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PREFIX_LENGTH = 8
_SECRET_BYTES = 32
MAX_TOKEN_DAYS = 366
# ``last_used_at`` is written at most this often per token: the access log already has a
# row for every use, so a second write per request would buy nothing but load.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """The stored token and its plaintext, which exists only in this object."""

    token: ApiToken
    plaintext: str


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _new_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LENGTH))


def api_token_issue(
    *,
    user: User,
    name: str,
    scopes: list[str],
    days: int | None = None,
    actor: User | None = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Create a token for a verified officer and return its plaintext, the only time it exists.

    Tokens are for officers in good standing only: staff work in the web UI, and a token of a
    user who could not use it would only be a secret lying around.
    """
    days = settings.LIAISON_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            {"days": _("A token lives from 1 to %(max)d days.") % {"max": MAX_TOKEN_DAYS}}
        )
    wanted = sorted(set(scopes))
    if not wanted or not set(wanted) <= set(ApiToken.Scope.values):
        raise ValidationError(
            {"scopes": _("Choose one or more of: %(s)s.") % {"s": ", ".join(ApiToken.Scope)}}
        )
    refusal = officer_access_refusal(user)
    if refusal is not None:
        raise ValidationError(
            _("Tokens are only issued to verified officers: %(r)s.") % {"r": refusal}
        )
    now = timezone.now()
    with transaction.atomic():
        prefix = _new_prefix()
        while ApiToken.objects.filter(prefix=prefix).exists():  # 31^8: practically never
            prefix = _new_prefix()
        plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
        token = ApiToken(
            user=user,
            name=name.strip() or _("API token"),
            prefix=prefix,
            digest=token_digest(plaintext),
            scopes=wanted,
            created_at=now,
            created_by=actor,
            expires_at=now + timedelta(days=days),
        )
        token.full_clean()
        token.save()
        access_event_record(
            action="token_issued",
            request=request,
            actor=actor,
            actor_label=actor_label,
            obj=token,
            details={
                "user": user.get_username(),
                "prefix": prefix,
                "scopes": wanted,
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return IssuedToken(token=token, plaintext=plaintext)


def api_token_revoke(
    *,
    token: ApiToken,
    actor: User | None = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> bool:
    """Revoke a token at once; the next request with it is refused. False if already revoked."""
    with transaction.atomic():
        now = timezone.now()
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if changed:
            token.revoked_at = now
            access_event_record(
                action="token_revoked",
                request=request,
                actor=actor,
                actor_label=actor_label,
                obj=token,
                details={"user": token.user.get_username(), "prefix": token.prefix},
            )
    return changed == 1


class TokenRefused(Exception):
    """A presented token does not open the API; ``reason`` is a short code, ``message`` for
    the caller."""

    def __init__(self, reason: str, message: str, token: ApiToken | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.token = token


def api_token_parse_prefix(plaintext: str) -> str | None:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != _PREFIX_LENGTH:
        return None
    return parts[1]


def api_token_check(*, plaintext: str) -> ApiToken:
    """The token a caller presented, if it opens the API right now; raise ``TokenRefused``.

    Everything is read from the database on every call (no cache), so a revocation, a lock or
    a suspension of the officer or of the agency stops the token on the very next request.
    """
    prefix = api_token_parse_prefix(plaintext)
    # One query: the token, its user, officer and agency, and the user's role names.
    token = (
        ApiToken.objects.select_related("user", "user__officer", "user__officer__agency")
        .annotate(
            role_names=ArraySubquery(Group.objects.filter(user=OuterRef("user_id")).values("name"))
        )
        .filter(prefix=prefix)
        .first()
        if prefix
        else None
    )
    if token is None or not hmac.compare_digest(token.digest, token_digest(plaintext)):
        raise TokenRefused("invalid", _("The token is not valid."))
    user_roles_preload(token.user, token.role_names)
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("revoked", _("The token has been revoked."), token)
    if token.expires_at <= now:
        raise TokenRefused("expired", _("The token has expired."), token)
    refusal = officer_access_refusal(token.user)
    if refusal is not None:
        raise TokenRefused(refusal, _("The account of this token cannot use the API."), token)
    return token


def api_token_record_use(*, token: ApiToken, request: HttpRequest) -> None:
    """Write the access event for one use, and ``last_used_at`` at most once a minute."""
    now = timezone.now()
    access_event_record(
        action=Action.TOKEN_USED,
        request=request,
        actor=token.user,
        obj=token,
        details={"prefix": token.prefix, "method": request.method, "path": request.path[:200]},
    )
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gte=stale).update(
            last_used_at=now
        )
        token.last_used_at = now


def api_token_record_refusal(*, refused: TokenRefused, request: HttpRequest) -> None:
    """Log a refused token: who it belonged to, if anyone, and why."""
    token = refused.token
    access_event_record(
        action=Action.TOKEN_USED,
        request=request,
        actor=token.user if token is not None else None,
        actor_label="" if token is not None else "(unknown token)",
        obj=token,
        outcome=Outcome.DENIED,
        details={
            "reason": refused.reason,
            "prefix": token.prefix if token is not None else "",
            "method": request.method,
            "path": request.path[:200],
        },
    )


def api_tokens_of_user(user: User):
    """The user's own tokens, newest first (the officer's token page)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")
