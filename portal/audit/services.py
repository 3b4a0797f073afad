"""Writing access events: the one function every part of the portal calls.

``access_event_record`` is a plain INSERT in the caller's transaction: if the change it
describes rolls back, so does the event, and a committed change always has its event. The
row is chained later by the sealer (``portal.audit.chain``), queued when the transaction
commits, so writers never wait for one another.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.audit.clean import log_details, log_text
from portal.audit.context import request_audit_current
from portal.audit.models import AccessEvent, Action, ChainVerification
from portal.net import client_ip
from portal.prepared import model_insert

logger = logging.getLogger(__name__)

Outcome = AccessEvent.Outcome

# One sealing task per process per this many seconds; the task seals everyone's rows.
SEAL_DEBOUNCE_SECONDS = 1
_SEAL_QUEUED_KEY = "liaison:audit:seal-queued"
_seal_asked_at = -float("inf")  # time.monotonic() when this process last asked the cache
IDENTITY_ACTIONS = frozenset(
    {
        Action.LOGIN,
        Action.LOGIN_FAILED,
        Action.OTP_FAILED,
        Action.LOCKOUT,
        Action.LOGOUT,
        Action.TOKEN_USED,
    }
)
# A list event names at most this many ids; pages are smaller than this.
LIST_IDS_MAX = 200


def _address(request: HttpRequest | None) -> str | None:
    """The client address, or None when there is none that parses (a unix-socket peer):
    a malformed address must never make the event, and with it the request, fail."""
    if request is None:
        return None
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _actor_facts(actor: Any) -> tuple[str, str]:
    """The actor's roles and agency as they are now, to be frozen into the event."""
    from portal.accounts.roles import Role, user_roles

    roles = user_roles(actor)
    agency = ""
    if Role.OFFICER in roles:
        try:
            agency = actor.officer.agency.name
        except ObjectDoesNotExist:
            agency = ""
    return ",".join(sorted(roles)), agency


def access_event_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_label: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    case_reference: str = "",
    outcome: str = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
) -> AccessEvent:
    """Append one event to the access log, in the caller's transaction.

    ``actor`` defaults to the request's user; ``actor_label`` names a task or command when
    no person acts. Called during a request without ``request`` (a service deep down), the
    request being served supplies the address, user agent and request id. ``obj`` fills
    ``object_type`` (``app_label.model``) and ``object_id``. ``details`` is a small JSON
    object and must never hold secrets or file contents.
    """
    state = request_audit_current()
    if request is None and state is not None:
        request = state.request
    if actor is None and not actor_label and request is not None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    roles = agency = ""
    if actor is not None:
        roles, agency = _actor_facts(actor)
        actor_label = actor_label or actor.get_username()
    if state is not None and state.token:
        details = {**(details or {}), "token": state.token}
    event = AccessEvent(
        at=timezone.now(),
        actor=actor,
        # log_text/log_details: request input may hold NUL, which PostgreSQL cannot store
        actor_label=log_text(actor_label, 150),
        actor_roles=roles[:200],
        actor_agency=log_text(agency, 200),
        ip=_address(request),
        user_agent=log_text(request.META.get("HTTP_USER_AGENT", ""), 300)
        if request is not None
        else "",
        request_id=log_text(getattr(request, "request_id", "") or "", 64)
        if request is not None
        else "",
        action=action[:32],
        object_type=log_text(object_type, 64),
        object_id=log_text(object_id, 64),
        case_reference=log_text(case_reference, 32),
        outcome=outcome,
        details=log_details(details or {}),
    )
    _event_insert(event)
    if state is not None:
        # Who-are-you events (a token used, a sign-in) say nothing about what was shown:
        # a view that records only those still gets its read recorded by the middleware.
        if action not in IDENTITY_ACTIONS:
            state.recorded += 1
        if outcome == Outcome.DENIED:
            state.denied += 1
        if state.token:
            # Outside a transaction the row is committed now; inside one it may still roll
            # back, so the middleware checks that it is there before counting on it.
            if transaction.get_connection().in_atomic_block:
                state.token_events.append(event.pk)
            else:
                state.token_logged = True
    if settings.LIAISON_AUDIT_SEAL_ON_COMMIT:
        transaction.on_commit(_seal_soon, robust=True)
    return event


def _event_insert(event: AccessEvent) -> None:
    """INSERT the event as ``save()`` would, as a prepared statement (``portal.prepared``).

    Every request writes one of these; ``objects.create`` compiled the same INSERT anew each
    time, which cost more CPU than the insert itself. The model has no signals or ``save()``
    of its own to bypass.
    """
    model_insert(event)


def access_token_attach(*, prefix: str) -> bool:
    """Name the API token that authenticated the request being served on every event the
    request records, instead of a separate ``token_used`` row per request.

    The access-log middleware then records ``token_used`` only if no event naming the token
    was committed (an exempt view, a 429, a write that rolled back), so each use of a token
    is in the log, once. Returns False when no request is being served (no middleware):
    the caller must then record the use itself.
    """
    state = request_audit_current()
    if state is None:
        return False
    state.token = prefix
    return True


def access_list_record(
    *,
    object_type: str,
    objects: Iterable[Any],
    request: HttpRequest | None = None,
    action: str = Action.LIST,
    page: int | None = None,
    case_reference: str = "",
    query: dict[str, Any] | None = None,
) -> AccessEvent:
    """Record that one page of a list was shown: ONE event naming the ids on the page.

    ``objects`` are the rows shown (model instances or ids). ``query`` holds the filters
    or search terms that produced the page, so an auditor sees what was looked for.
    """
    ids = [str(getattr(o, "pk", o)) for o in objects]
    details: dict[str, Any] = {"ids": ids[:LIST_IDS_MAX], "shown": len(ids)}
    if page is not None:
        details["page"] = page
    if query:
        details["query"] = query
    return access_event_record(
        action=action,
        request=request,
        object_type=object_type,
        case_reference=case_reference,
        details=details,
    )


def _seal_soon() -> None:
    """Queue the sealer, at most once a second per process: it seals everyone's rows.

    The cache key keeps processes sharing a cache to one task a second between them; the
    clock in front keeps this process from asking the cache (a round trip to Redis in
    production) after every event.
    """
    global _seal_asked_at
    now = time.monotonic()
    if now - _seal_asked_at < SEAL_DEBOUNCE_SECONDS:
        return
    _seal_asked_at = now
    if cache.add(_SEAL_QUEUED_KEY, 1, timeout=SEAL_DEBOUNCE_SECONDS):
        from portal.audit.tasks import audit_chain_seal

        # retry=False: with the broker down, fail at once (and log) rather than hold up the
        # request; beat seals the rows when it is back.
        audit_chain_seal.apply_async(countdown=SEAL_DEBOUNCE_SECONDS, expires=60, retry=False)


def chain_verification_record(
    *, intact: bool, events: int, head_seq: int | None, problem: str = ""
) -> ChainVerification:
    """Record one verification of the chain (``verify_audit_log``), so the auditor's page
    can say when the chain was last checked and whether it held."""
    verification = ChainVerification(
        at=timezone.now(),
        intact=intact,
        events=events,
        head_seq=head_seq,
        problem=log_text(problem)[:10_000],
    )
    verification.full_clean()
    verification.save()
    return verification
