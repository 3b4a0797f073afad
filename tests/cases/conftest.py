"""Fixtures of the cases tests: uploads go to a temporary folder, extra personas."""

from __future__ import annotations

import pytest

from portal.accounts.models import Team
from portal.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas are created per test; Argon2 would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test stores files under its own folder, so "nothing stored" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="EMEA", slug="emea")


@pytest.fixture
def outsider(db, other_team):
    """A responder of another team: sees none of the default team's cases."""
    user = UserFactory(username="outsider", roles=[Role.RESPONDER])
    other_team.members.add(user)
    return user


@pytest.fixture
def second_responder(db):
    from tests.factories import default_team

    user = UserFactory(username="responder2", roles=[Role.RESPONDER])
    default_team().members.add(user)
    return user


@pytest.fixture
def second_supervisor(db):
    from tests.factories import default_team

    user = UserFactory(username="supervisor2", roles=[Role.SUPERVISOR])
    default_team().members.add(user)
    return user


def stored_files(root) -> list:
    """Every file under the media root (empty list when nothing was stored)."""
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
