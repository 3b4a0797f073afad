"""Personas (STYLE.md rule 9): each is a user with one role, in the default team."""

from __future__ import annotations

import pytest

from portal.accounts.roles import Role
from tests.factories import OfficerFactory, UserFactory, default_team


def _staff(role: Role, username: str):
    user = UserFactory(username=username, roles=[role])
    default_team().members.add(user)
    return user


@pytest.fixture
def responder(db):
    return _staff(Role.RESPONDER, "responder")


@pytest.fixture
def legal(db):
    return _staff(Role.LEGAL, "legal")


@pytest.fixture
def child_safety(db):
    return _staff(Role.CHILD_SAFETY, "analyst")


@pytest.fixture
def supervisor(db):
    return _staff(Role.SUPERVISOR, "supervisor")


@pytest.fixture
def auditor(db):
    return _staff(Role.AUDITOR, "auditor")


@pytest.fixture
def admin_user(db):
    user = _staff(Role.ADMIN, "admin")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def officer_a(db):
    return OfficerFactory(
        agency__name="Agency A Police", agency__email_domains=["a-pd.example.gov"]
    )


@pytest.fixture
def officer_b(db):
    return OfficerFactory(
        agency__name="Agency B Police", agency__email_domains=["b-pd.example.gov"]
    )
