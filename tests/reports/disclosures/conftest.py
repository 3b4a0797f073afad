"""Fixtures of the disclosure tests: a demo PKI and TSA of their own, files in a tmp folder,
and a request in "collecting records" with a verified officer of agency A."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from cases.models import CaseStatus, DataCategory, ProcessKind, TargetKind
from reports.disclosures import signing
from reports.disclosures.pki import demo_pki_create
from reports.disclosures.tsa import tsa_start_thread
from tests.cases.factories import CaseFactory, LegalProcessFactory, TargetFactory

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "disclosures"


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    demo_pki_create(
        directory,
        organisation="Example Platform, Inc.",
        signer_name="Jordan Example, Custodian of Records",
    )
    return directory


@pytest.fixture(scope="session")
def tsa_url(demo_pki) -> str:
    server, url = tsa_start_thread(demo_pki)
    yield url
    server.shutdown()


@pytest.fixture(autouse=True)
def signing_settings(settings, demo_pki, tmp_path):
    """Every test signs with the session's demo PKI and stores files under its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LIAISON_DISCLOSURE_SIGNING_PKCS12 = ""
    settings.LIAISON_DISCLOSURE_SIGNING_KEY = str(demo_pki / "signer.key")
    settings.LIAISON_DISCLOSURE_SIGNING_CERT = str(demo_pki / "signer.crt")
    settings.LIAISON_DISCLOSURE_SIGNING_CHAIN = [str(demo_pki / "ca.crt")]
    settings.LIAISON_DISCLOSURE_TRUST_ROOTS = [str(demo_pki / "ca.crt")]
    settings.LIAISON_DISCLOSURE_TSA_URL = ""
    settings.LIAISON_DISCLOSURE_PADES_LEVEL = "B-B"  # a tsa_url given to a build makes it B-T
    settings.LIAISON_DISCLOSURE_CRLS = [str(demo_pki / "ca.crl")]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    signing._signer_cached.cache_clear()
    yield
    signing._signer_cached.cache_clear()


@pytest.fixture
def collecting_case(db, officer_a):
    """A subpoena from agency A's officer, approved and in "collecting records"."""
    case = CaseFactory(
        status=CaseStatus.COLLECTING,
        agency=officer_a.agency,
        submitting_officer=officer_a,
        summary="Account takeover investigation",
    )
    process = LegalProcessFactory(
        case=case,
        kind=ProcessKind.US_SUBPOENA,
        issuing_authority="Superior Court of Example County",
        authority_reference="GJ-2026-0417",
        agency_case_number="ECPD-26-01234",
        data_categories=[DataCategory.SUBSCRIBER, DataCategory.LOGIN_IP],
        received_at=timezone.now() - timezone.timedelta(days=5),
    )
    TargetFactory(
        process=process,
        kind=TargetKind.EMAIL,
        value="suspect@example.com",
        normalised="suspect@example.com",
    )
    return case


def process_of(case):
    return case.processes.get()


@pytest.fixture
def second_legal(db):
    from portal.accounts.roles import Role
    from tests.factories import UserFactory, default_team

    user = UserFactory(username="legal2", roles=[Role.LEGAL])
    default_team().members.add(user)
    return user


@pytest.fixture
def second_responder(db):
    from portal.accounts.roles import Role
    from tests.factories import UserFactory, default_team

    user = UserFactory(username="responder2", roles=[Role.RESPONDER])
    default_team().members.add(user)
    return user


@pytest.fixture
def outsider_legal(db):
    """Legal staff of another team: the default team's cases do not exist for them."""
    from portal.accounts.models import Team
    from portal.accounts.roles import Role
    from tests.factories import UserFactory

    team = Team.objects.create(name="EMEA", slug="emea")
    user = UserFactory(username="outsider-legal", roles=[Role.LEGAL])
    team.members.add(user)
    return user
