"""Service credentials for machine callers (the upload pipeline): issue, check, and the
DRF authentication and permission the match endpoint uses (and nothing else does).

``lis_<prefix>_<secret>``: the officer tokens' scheme (ADR 0006: an 8-character prefix to
find the row, 256 random bits, SHA-256 at rest, compared in constant time) with another
marker, another table and another authentication class. So the two cannot be confused:
the officer API's authentication refuses a ``lis_`` credential as an invalid token, and
the match endpoint never looks at ``lia_`` tokens (401).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from portal.accounts.models import User
from portal.accounts.system import system_actor
from portal.audit.services import Outcome, access_event_record
from reports.matching.models import ServiceCredential
from reports.matching.selectors import MATCHER_ACTOR

if TYPE_CHECKING:
    from rest_framework.views import APIView

MARKER = "lis"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PREFIX_LENGTH = 8
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedCredential:
    credential: ServiceCredential
    plaintext: str


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def service_credential_issue(
    *, name: str, scopes: list[str], days: int | None = None, actor_label: str = ""
) -> IssuedCredential:
    """Create a credential and return its plaintext, the only time it exists."""
    wanted = sorted(set(scopes))
    if not wanted or not set(wanted) <= set(ServiceCredential.Scope.values):
        raise ValidationError(
            {"scopes": _("Choose from: %(s)s.") % {"s": ", ".join(ServiceCredential.Scope)}}
        )
    if not name.strip():
        raise ValidationError({"name": _("Name the service that will use the credential.")})
    if days is not None and not 1 <= days <= 366:
        raise ValidationError({"days": _("A credential lives from 1 to 366 days.")})
    now = timezone.now()
    with transaction.atomic():
        prefix = "".join(secrets.choice(_ALPHABET) for _ in range(_PREFIX_LENGTH))
        plaintext = f"{MARKER}_{prefix}_{secrets.token_urlsafe(32)}"
        credential = ServiceCredential.objects.create(
            name=name.strip()[:100],
            prefix=prefix,
            digest=_digest(plaintext),
            scopes=wanted,
            expires_at=now + timedelta(days=days) if days else None,
        )
        access_event_record(
            action="service_credential_issued",
            actor_label=actor_label or "service credential",
            obj=credential,
            details={"name": credential.name, "prefix": prefix, "scopes": wanted},
        )
    return IssuedCredential(credential, plaintext)


def service_credential_revoke(*, credential: ServiceCredential, actor_label: str = "") -> bool:
    with transaction.atomic():
        changed = ServiceCredential.objects.filter(
            pk=credential.pk, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if changed:
            access_event_record(
                action="service_credential_revoked",
                actor_label=actor_label or "service credential",
                obj=credential,
                details={"prefix": credential.prefix},
            )
    return changed == 1


class CredentialRefused(Exception):
    def __init__(self, reason: str, credential: ServiceCredential | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.credential = credential


def service_credential_check(*, plaintext: str) -> ServiceCredential:
    """The credential presented, if it is valid now; raises ``CredentialRefused``. Read
    from the database every time: a revocation stops it on the next request."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != MARKER or len(parts[1]) != _PREFIX_LENGTH:
        raise CredentialRefused("invalid")
    credential = ServiceCredential.objects.filter(prefix=parts[1]).first()
    if credential is None or not hmac.compare_digest(credential.digest, _digest(plaintext)):
        raise CredentialRefused("invalid")
    now = timezone.now()
    if credential.revoked_at is not None:
        raise CredentialRefused("revoked", credential)
    if credential.expires_at is not None and credential.expires_at <= now:
        raise CredentialRefused("expired", credential)
    stale = now - LAST_USED_RESOLUTION
    if credential.last_used_at is None or credential.last_used_at < stale:
        ServiceCredential.objects.filter(pk=credential.pk).exclude(last_used_at__gte=stale).update(
            last_used_at=now
        )
    return credential


_ACTOR_CACHE: dict[str, tuple[float, User]] = {}
ACTOR_TTL = 60.0  # seconds; the actor's row only changes when its registration does


def _matcher_actor() -> User:
    """The matcher's system actor, read at most once a minute per process: ``system_actor``
    locks and syncs the row (roles, teams), several queries that per request were most of
    a hash-only match's time in bench/match.py."""
    import time

    now = time.monotonic()
    cached = _ACTOR_CACHE.get(MATCHER_ACTOR)
    if cached is None or now - cached[0] > ACTOR_TTL:
        cached = (now, system_actor(MATCHER_ACTOR))
        _ACTOR_CACHE[MATCHER_ACTOR] = cached
    return cached[1]


class ServiceCredentialAuthentication(BaseAuthentication):
    """``Authorization: Bearer lis_…``. The request's user is the matcher's system actor
    (so the access log names a machine); ``request.auth`` is the credential. A refusal is
    logged with the reason (never the secret)."""

    def authenticate(self, request: Request) -> tuple[User, ServiceCredential] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as 'Authorization: Bearer <credential>'.")
            )
        try:
            credential = service_credential_check(plaintext=header[1].decode("ascii"))
        except (UnicodeDecodeError, CredentialRefused) as exc:
            reason = exc.reason if isinstance(exc, CredentialRefused) else "invalid"
            found = exc.credential if isinstance(exc, CredentialRefused) else None
            access_event_record(
                action="service_credential_used",
                request=request._request,
                actor_label="(unknown credential)" if found is None else f"service:{found.name}",
                obj=found,
                outcome=Outcome.DENIED,
                details={"reason": reason, "path": request.path[:200]},
            )
            raise exceptions.AuthenticationFailed(
                _("The credential is not valid for this service."), code=reason
            ) from None
        return _matcher_actor(), credential

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="match"'


class ServiceCredentialScheme(OpenApiAuthenticationExtension):
    """Names the match credential's scheme in the OpenAPI document."""

    target_class = "reports.matching.credentials.ServiceCredentialAuthentication"
    name = "serviceCredential"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lis_<prefix>_<secret>",
            "description": (
                "A service credential (manage.py issue_service_token NAME --scopes match), "
                "not an officer token."
            ),
        }


class HasServiceScope(BasePermission):
    """The view's ``required_scope`` must be one of the credential's scopes."""

    message = _("This credential lacks the scope this operation needs.")
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: APIView) -> bool:
        credential = request.auth
        if not isinstance(credential, ServiceCredential):
            return False
        return getattr(view, "required_scope", "") in credential.scopes


class ServiceCredentialThrottle(SimpleRateThrottle):
    """The match API's own limit, per credential: ``LIAISON_MATCH_RATE`` (default
    6000/min), far above an officer token's, counted apart from it."""

    scope = "match"

    def get_rate(self) -> str | None:
        from django.conf import settings

        return str(getattr(settings, "LIAISON_MATCH_RATE", "6000/min"))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ServiceCredential):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
