"""Fixtures of the CyberTipline tests: a child-safety case, files under a temporary root."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import ProcessKind
from tests.cases.factories import CaseFactory, LegalProcessFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cs_case(db):
    """A child-safety incident of the default team with its CyberTipline duty."""
    case = CaseFactory(child_safety=True)
    LegalProcessFactory(
        case=case,
        kind=ProcessKind.CYBERTIPLINE,
        country="US",
        subdivision="",
        issuing_authority="Internal detection",
        received_at=timezone.now() - timedelta(hours=2),
    )
    return case


@pytest.fixture
def ncmec(settings):
    """The project's NCMEC test server, in-process on a free loopback port."""
    from reports.cybertip.testserver import NcmecTestServer

    server = NcmecTestServer(username="esp-user", password="esp-secret").start()
    settings.LIAISON_CYBERTIP_ENVIRONMENT = "local"
    settings.LIAISON_CYBERTIP_URL = server.base_url
    settings.LIAISON_CYBERTIP_USERNAME = "esp-user"
    settings.LIAISON_CYBERTIP_PASSWORD = "esp-secret"
    settings.LIAISON_CYBERTIP_TIMEOUT_SECONDS = 5
    yield server
    server.stop()


@pytest.fixture
def second_supervisor(db):
    from portal.accounts.roles import Role
    from tests.factories import UserFactory, default_team

    user = UserFactory(username="supervisor2", roles=[Role.SUPERVISOR])
    default_team().members.add(user)
    return user
