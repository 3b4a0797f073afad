"""Writing access events: the one function every part of the portal calls."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from portal.audit.models import AccessEvent
from portal.net import client_ip

Outcome = AccessEvent.Outcome


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

    ``actor`` defaults to the request's user; ``actor_label`` names a task or command when no
    person acts. ``details`` must never hold secrets or file contents.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    roles = ""
    agency = ""
    if actor is not None:
        from portal.accounts.roles import user_roles

        roles = ",".join(sorted(user_roles(actor)))
        officer = getattr(actor, "officer", None) if hasattr(actor, "officer") else None
        agency = officer.agency.name if officer is not None else ""
        actor_label = actor_label or actor.get_username()
    return AccessEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        actor_label=actor_label[:150],
        actor_roles=roles,
        actor_agency=agency,
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_reference=case_reference,
        outcome=outcome,
        details=details or {},
    )
