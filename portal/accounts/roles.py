"""The platform's roles and its own capabilities.

Roles are Django groups. This module answers "may a user with these roles do this kind of
platform thing" (read the access log, manage officers, submit requests, administer). The
domain's rules (who works which case type, intake, deadline overrides, officer standing
for cases) live in the domain's policy module, ``cases/policy.py`` (ADR 0025).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.accounts.models import User


class Role(StrEnum):
    RESPONDER = "responder"
    LEGAL = "legal"
    CHILD_SAFETY = "child_safety"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    OFFICER = "officer"


ROLE_LABELS = {
    Role.RESPONDER: _("Responder"),
    Role.LEGAL: _("Legal"),
    Role.CHILD_SAFETY: _("Child-safety analyst"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.AUDITOR: _("Auditor"),
    Role.ADMIN: _("Administrator"),
    Role.OFFICER: _("Law-enforcement officer"),
}

STAFF_ROLES = frozenset(
    {Role.RESPONDER, Role.LEGAL, Role.CHILD_SAFETY, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}
)


class Capability(StrEnum):
    """The platform's own coarse abilities; each maps to the roles holding it in
    ``CAPABILITIES``. A domain declares its capabilities itself (the cases domain in
    ``cases/policy.py``)."""

    READ_AUDIT_LOG = "read_audit_log"
    MANAGE_OFFICERS = "manage_officers"  # verify, suspend officers and agencies
    SUBMIT_REQUESTS = "submit_requests"  # the officer portal and API
    ADMINISTER = "administer"  # the Django admin, lockout release


CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.READ_AUDIT_LOG: frozenset({Role.AUDITOR, Role.SUPERVISOR}),
    Capability.MANAGE_OFFICERS: frozenset({Role.SUPERVISOR, Role.ADMIN}),
    Capability.SUBMIT_REQUESTS: frozenset({Role.OFFICER}),
    Capability.ADMINISTER: frozenset({Role.ADMIN}),
}


def user_roles(user: User | AnonymousUser | None) -> frozenset[Role]:
    """The user's roles, read once per request object and cached on it. Nobody (``None``,
    e.g. a task acting alone) and anonymous or inactive users hold none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_liaison_roles", None)
    if cached is None:
        cached = user_roles_preload(user, user.groups.values_list("name", flat=True))
    return cached


def user_roles_preload(user: User, group_names: Iterable[str]) -> frozenset[Role]:
    """Fill the per-request roles cache from group names read with the user (e.g. by the
    API token's query), saving the roles query on every API request."""
    roles = frozenset(Role(n) for n in group_names if n in Role._value2member_map_)
    user._liaison_roles = roles
    return roles


def has_role(user: User | AnonymousUser | None, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def has_capability(user: User | AnonymousUser | None, capability: Capability) -> bool:
    return bool(user_roles(user) & CAPABILITIES[capability])


def is_staff_member(user: User | AnonymousUser | None) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)
