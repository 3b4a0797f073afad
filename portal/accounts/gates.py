"""The capability gate of the platform's account, agency and token services.

A service that changes an account, an agency or a token asks ``capability_require`` first,
so whoever calls it (a view, a task, a command, a future API) cannot act beyond the
actor's roles: a responder calling ``officer_suspend`` is refused and the refusal logged,
like a case service refuses a case the actor may not work. Nothing is written before the
gate, so its log entry survives the refusal. Roles are read fresh from the database, not
from the request's cache, because the gate decides a write.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.accounts.roles import CAPABILITIES, Capability, Role
from portal.audit.denials import denial_record


class CapabilityDenied(PermissionDenied):
    """The actor lacks the capability the service needs (already logged)."""


def capability_require(
    actor: User | None,
    capability: Capability,
    *,
    action: str,
    obj: models.Model | None = None,
    actor_label: str = "",
    allow: bool = False,
) -> None:
    """Refuse (``CapabilityDenied``, logged as ``action`` denied) unless ``actor`` is an
    active user holding ``capability``. ``actor_label`` without an actor is an operator's
    command run at the console (``manage.py create_officer``), which the log names; ``allow``
    lets the caller grant a case the matrix does not cover (an officer's own token)."""
    if allow:
        return
    if actor is None and actor_label:
        return
    if actor is not None and actor.is_active and _roles(actor) & CAPABILITIES[capability]:
        return
    denial_record(
        action=action,
        actor=actor,
        obj=obj,
        details={"capability": capability.value},
    )
    raise CapabilityDenied(_("You may not do this."))


def _roles(actor: User) -> frozenset[Role]:
    names = actor.groups.values_list("name", flat=True)
    return frozenset(Role(n) for n in names if n in Role._value2member_map_)


def same_user(actor: Any, user: User) -> bool:
    return actor is not None and getattr(actor, "pk", None) == user.pk
