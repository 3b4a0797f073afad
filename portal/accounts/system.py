"""System actors: named service identities for work that no person does.

A hash match that opens a case, a worker that files a CyberTipline report: each acts as a
system actor, a real ``User`` row flagged ``is_system_actor`` with an unusable password (the
authentication backend refuses it, so it can never sign in). Being a user means every gate,
service and access-log row works unchanged: the log names ``system.<name>`` as the actor, so
an auditor sees which machine did what, and the actor holds only the roles and teams its
registration grants (least privilege), never a person's.

Apps register their actors from ``AppConfig.ready()``::

    register_system_actor("hash-matcher", roles=frozenset({Role.CHILD_SAFETY}),
                          label=gettext_lazy("Known-image matcher"), teams=("child-safety",))

and act with ``system_actor("hash-matcher")``, which creates the row on first use and
brings its roles and teams in line with the registration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from portal.accounts.models import Team, User
from portal.accounts.roles import Role

USERNAME_PREFIX = "system."


@dataclass(frozen=True)
class SystemActorSpec:
    name: str
    roles: frozenset[Role]
    label: str
    teams: tuple[str, ...] = ()  # Team slugs the actor works in (the case gate is per team)


_REGISTRY: dict[str, SystemActorSpec] = {}


class UnknownSystemActor(LookupError):
    """No app registered a system actor of that name."""


def register_system_actor(
    name: str, *, roles: Iterable[Role], label: object, teams: Iterable[str] = ()
) -> None:
    """Declare a system actor. Registering the same name again with the same facts is a
    no-op (``ready()`` may run twice in tests); different facts are a programming error."""
    spec = SystemActorSpec(
        name=name, roles=frozenset(roles), label=str(label), teams=tuple(sorted(teams))
    )
    existing = _REGISTRY.get(name)
    if existing is not None and existing != spec:
        raise ValueError(f"System actor {name!r} is already registered differently.")
    _REGISTRY[name] = spec


def system_actor_specs() -> list[SystemActorSpec]:
    return sorted(_REGISTRY.values(), key=lambda s: s.name)


def is_system_actor(user: object) -> bool:
    return bool(getattr(user, "is_system_actor", False))


def system_actor(name: str) -> User:
    """The user row of the registered actor ``name``, created on first use, with exactly the
    roles and teams of its registration."""
    try:
        spec = _REGISTRY[name]
    except KeyError as exc:
        raise UnknownSystemActor(name) from exc
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(
            username=USERNAME_PREFIX + name,
            defaults={"first_name": spec.label[:150], "is_system_actor": True},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        elif not user.is_system_actor:  # a person took the name: never act as them
            raise ValueError(f"User {user.username!r} exists and is not a system actor.")
        wanted_groups = set(Group.objects.filter(name__in=[str(r) for r in spec.roles]))
        if set(user.groups.all()) != wanted_groups:
            user.groups.set(wanted_groups)
        wanted_teams = set(Team.objects.filter(slug__in=spec.teams))
        if set(user.teams.all()) != wanted_teams:
            user.teams.set(wanted_teams)
    user.__dict__.pop("_liaison_roles", None)
    return user
