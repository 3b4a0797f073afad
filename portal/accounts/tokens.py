"""API tokens: issue, revoke, and check one presented in ``Authorization: Bearer``.

A token reads ``lia_<prefix>_<secret>``: ``prefix`` is 8 random characters that find the row
with one index lookup, ``secret`` is 32 random bytes (URL-safe base64). Only the SHA-256
digest of the whole token is stored. Why a plain, fast hash is right here and a password hash
is not: ``docs/decisions/`` (API tokens hashed at rest).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.gates import capability_require, same_user
from portal.accounts.models import Agency, ApiToken, Officer, User
from portal.accounts.onboarding import officer_access_refusal
from portal.accounts.roles import Capability, user_roles_preload
from portal.audit.models import Action
from portal.audit.services import Outcome, access_event_record, access_token_attach
from portal.prepared import RowPart, prepared_fetchone

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
    capability_require(
        actor,
        Capability.MANAGE_OFFICERS,
        action="token_issued",
        obj=user,
        actor_label=actor_label,
        allow=actor is None or same_user(actor, user),  # the officer's own token
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
) -> bool:
    """Revoke a token at once; the next request with it is refused. False if already revoked.

    Its officer may revoke it (``actor`` None is the officer's own request), and so may
    staff who manage officers; an operator's command names itself in ``actor_label``."""
    capability_require(
        actor,
        Capability.MANAGE_OFFICERS,
        action="token_revoked",
        obj=token,
        actor_label=actor_label,
        allow=actor is None or same_user(actor, token.user),
    )
    with transaction.atomic():
        now = timezone.now()
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if changed:
            token.revoked_at = now
            access_event_record(
                action="token_revoked",
                actor=actor,
                actor_label=actor_label,
                obj=token,
                details={"user": token.user.get_username(), "prefix": token.prefix},
            )
    return changed == 1


def api_tokens_active(user: User) -> models.QuerySet[ApiToken]:
    """The user's tokens that still open the API (not revoked, not expired)."""
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("created_at")


def api_tokens_revoke_own(*, user: User) -> int:
    """Revoke every active token of ``user`` at their own request.

    A token is a credential of its own: it survives a password or second-factor change, so
    after such a change the user is offered this (security review, finding 7). Each
    revocation is logged like a single one. Returns how many were revoked."""
    return sum(api_token_revoke(token=token, actor=user) for token in api_tokens_active(user))


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


# The token, its user, officer and agency, and the user's role names: an index lookup by
# prefix, then one by primary or unique key per table. ``{columns}`` lists the four models'
# columns, quoted, from their metadata.
_LOOKUP_SQL = """
SELECT {columns},
       ARRAY(SELECT g.name FROM accounts_user_groups ug JOIN auth_group g ON g.id = ug.group_id
              WHERE ug.user_id = t.user_id)
  FROM accounts_apitoken t
  JOIN accounts_user u ON u.id = t.user_id
  LEFT JOIN accounts_officer o ON o.user_id = u.id
  LEFT JOIN accounts_agency a ON a.id = o.agency_id
 WHERE t.prefix = %s
"""


@functools.cache
def _token_lookup() -> tuple[str, tuple[RowPart, ...]]:
    """The SQL of the token check and where each model's columns sit in its row.

    Hand-written because the ORM spent more time compiling this query on every request than
    PostgreSQL spent running it (1.3 ms of CPU against 0.2 ms; bench/api.py), and prepared
    (``portal.prepared``), because planning it cost PostgreSQL more than running it. The
    column lists come from the models, so a new field is read without editing this.
    """
    parts: list[RowPart] = []
    columns: list[str] = []
    for model, alias in ((ApiToken, "t"), (User, "u"), (Officer, "o"), (Agency, "a")):
        part = RowPart.of(model, alias, start=len(columns))
        columns += part.columns(alias)
        parts.append(part)
    return _LOOKUP_SQL.format(columns=", ".join(columns)), tuple(parts)


def _token_load(prefix: str) -> ApiToken | None:
    """The token with this prefix, its user (roles preloaded), officer and agency: one query,
    one index lookup per table, objects wired as ``select_related`` would wire them."""
    sql, (token_part, user_part, officer_part, agency_part) = _token_lookup()
    # Read-only, so it may run twice: it doubles as the request's connection health check.
    row = prepared_fetchone(sql, [prefix], read_only=True)
    if row is None:
        return None
    token: ApiToken = token_part.load(row)
    user: User = user_part.load(row)
    ApiToken.user.field.set_cached_value(token, user)
    officer: Officer | None = None
    if row[officer_part.start] is not None:  # the officer's id: NULL when there is none
        officer = officer_part.load(row)
        Officer.user.field.set_cached_value(officer, user)
        Officer.agency.field.set_cached_value(officer, agency_part.load(row))
    User.officer.related.set_cached_value(user, officer)
    user_roles_preload(user, row[-1])
    return token


def api_token_check(*, plaintext: str) -> ApiToken:
    """The token a caller presented, if it opens the API right now; raise ``TokenRefused``.

    Everything is read from the database on every call (no cache), so a revocation, a lock or
    a suspension of the officer or of the agency stops the token on the very next request.
    """
    prefix = api_token_parse_prefix(plaintext)
    token = _token_load(prefix) if prefix else None
    if token is None or not hmac.compare_digest(token.digest, token_digest(plaintext)):
        raise TokenRefused("invalid", _("The token is not valid."))
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
    """Log one accepted use, and write ``last_used_at`` at most once a minute.

    The use is logged by the request's own access event, which names the token
    (``access_token_attach``): a read or write records one row, not two. Outside a request
    served through the access-log middleware, a ``token_used`` event is written here.
    """
    if not access_token_attach(prefix=token.prefix):
        access_event_record(
            action=Action.TOKEN_USED,
            request=request,
            actor=token.user,
            obj=token,
            details={
                "prefix": token.prefix,
                "method": request.method,
                "path": request.path[:200],
            },
        )
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gte=stale).update(
            last_used_at=now
        )
        token.last_used_at = now


def api_token_record_refusal(
    *, refused: TokenRefused, request: HttpRequest, repeats: int = 1
) -> None:
    """Log a refused token: who it belonged to, if anyone, and why; ``repeats``: how many
    identical refusals from the address this window (portal.api.auth_failures)."""
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
            **({"repeats": repeats} if repeats > 1 else {}),
        },
    )


def api_tokens_of_user(user: User) -> models.QuerySet[ApiToken]:
    """The user's own tokens, newest first (the officer's token page)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")
