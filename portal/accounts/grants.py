"""Who may change whose roles and teams (security review, finding 3; NIST 800-53 AC-5/AC-6).

Before: an administrator could add themself to the supervisor role and the child-safety
team in the admin, then read ``CS-`` cases and the access log, and the log said only
"update accounts.user 7". The rules, in one place:

1. Nobody changes their own roles, teams or superuser/staff flags.
2. Granting a sensitive role (one that reads child-safety material or the access log, or
   that grants roles: ``SENSITIVE_ROLES``) or a sensitive team (``LIAISON_SENSITIVE_TEAMS``)
   takes two people: the change is recorded as a pending ``RoleGrant``, and a second
   administrator, neither the requester nor the grantee, approves it.
3. Every change is logged with the fields that changed, from what to what
   (``admin_changes_record``).
Taking a role away needs one person: less access is never the risk here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import RoleGrant, Team, User
from portal.accounts.roles import Role
from portal.audit.services import access_event_record

SENSITIVE_ROLES = frozenset({Role.CHILD_SAFETY, Role.AUDITOR, Role.SUPERVISOR, Role.ADMIN})
# Fields of a user that are their access; nobody edits their own.
ACCESS_FIELDS = frozenset({"groups", "teams", "user_permissions", "is_superuser", "is_staff"})
# Never written to the log, even hashed: only that they changed.
SECRET_FIELDS = frozenset({"password", "key", "digest", "security_stamp"})


def sensitive_team(team: Team) -> bool:
    return team.slug in set(getattr(settings, "LIAISON_SENSITIVE_TEAMS", ["child-safety"]))


def own_access_refusal(*, actor: User, user: User, changed: set[str]) -> str | None:
    """Rule 1: why ``actor`` may not make this change to ``user`` (None: they may)."""
    touched = changed & ACCESS_FIELDS
    if actor.pk == user.pk and touched:
        return _("Nobody changes their own roles, teams or permissions (%(f)s).") % {
            "f": ", ".join(sorted(touched))
        }
    return None


@dataclass(frozen=True)
class Held:
    """Roles and teams split into what is applied now and what waits for a second person."""

    roles: list[Group]
    teams: list[Team]
    pending: list[RoleGrant]


def access_change_split(
    *,
    actor: User,
    user: User,
    roles_before: set[str],
    roles_after: list[Group],
    teams_before: set[int],
    teams_after: list[Team],
) -> Held:
    """Rule 2: keep sensitive additions back as pending grants; the rest applies now."""
    keep_roles: list[Group] = []
    keep_teams: list[Team] = []
    pending: list[RoleGrant] = []
    now = timezone.now()
    for group in roles_after:
        if group.name in SENSITIVE_ROLES and group.name not in roles_before:
            pending.append(
                RoleGrant(user=user, role=group.name, requested_by=actor, requested_at=now)
            )
        else:
            keep_roles.append(group)
    for team in teams_after:
        if sensitive_team(team) and team.pk not in teams_before:
            pending.append(RoleGrant(user=user, team=team, requested_by=actor, requested_at=now))
        else:
            keep_teams.append(team)
    return Held(roles=keep_roles, teams=keep_teams, pending=pending)


def role_grants_request(*, grants: list[RoleGrant], actor: User) -> None:
    """Record pending grants (one event each); nothing is applied yet."""
    for grant in grants:
        if RoleGrant.objects.filter(
            user=grant.user, role=grant.role, team=grant.team, status=RoleGrant.Status.PENDING
        ).exists():
            continue
        grant.full_clean()
        grant.save()
        access_event_record(
            action="role_grant_requested",
            actor=actor,
            obj=grant.user,
            details={"role": grant.role, "team": grant.team.slug if grant.team else ""},
        )


def role_grant_decide(*, grant: RoleGrant, actor: User, approve: bool) -> None:
    """The second person approves (applies) or rejects a pending grant.

    Refused to the requester and to the grantee: two different people must agree, and
    neither may be the one who gains the access. Compare-and-set on the status, so two
    approvers never both apply it.
    """
    if actor.pk in (grant.requested_by_id, grant.user_id):
        raise PermissionDenied(
            _("A second administrator, not the requester or the grantee, decides this.")
        )
    with transaction.atomic():
        status = RoleGrant.Status.APPROVED if approve else RoleGrant.Status.REJECTED
        changed = RoleGrant.objects.filter(pk=grant.pk, status=RoleGrant.Status.PENDING).update(
            status=status, decided_by=actor, decided_at=timezone.now()
        )
        if not changed:
            raise ValidationError(_("This request was already decided."))
        if approve:
            if grant.role:
                grant.user.groups.add(Group.objects.get_or_create(name=grant.role)[0])
            if grant.team is not None:
                grant.team.members.add(grant.user)
        access_event_record(
            action="role_grant_approved" if approve else "role_grant_rejected",
            actor=actor,
            obj=grant.user,
            details={
                "role": grant.role,
                "team": grant.team.slug if grant.team else "",
                "requested_by": grant.requested_by.get_username(),
            },
        )


def _shown(field: str, value: Any) -> Any:
    if field in SECRET_FIELDS:
        return "(secret)"
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(str(v) for v in value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def admin_changes_record(
    *, actor: User, obj: models.Model, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Rule 3: one event naming each changed field, from what to what (secrets masked)."""
    changes = {
        field: [_shown(field, before.get(field)), _shown(field, after.get(field))]
        for field in sorted(set(before) | set(after))
        if _shown(field, before.get(field)) != _shown(field, after.get(field))
        or (field in SECRET_FIELDS and before.get(field) != after.get(field))
    }
    if not changes:
        return
    access_event_record(action="update", actor=actor, obj=obj, details={"changes": changes})
