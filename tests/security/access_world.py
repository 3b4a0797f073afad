"""The objects and signed-in personas the access matrix requests (tests/security/
test_access_matrix.py), built once per module through the real services where they exist.

Agency A's officer filed ``case_a`` (a subpoena, collecting records, with a document, an
attachment, a message with a file and a released disclosure whose package is built) and
``case_hold`` (a 2703(f) preservation); agency B's officer filed ``case_b``. ``case_cs`` is
a child-safety incident with a CyberTipline draft, a file on it and an urgent referral to
agency A awaiting its second approval. All three cases belong to the default team, whose
members are the staff personas; ``outsider`` supervises another team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.test import Client, override_settings
from django.utils import timezone

from portal.accounts.models import Agency, Officer, Team, User
from portal.accounts.roles import Role
from tests.factories import AgencyFactory, OfficerFactory, UserFactory, default_team, totp_device

# The web personas, in the table's column order (test_access_matrix.COLUMNS).
ANON = "anon"
RESPONDER = "responder"
LEGAL = "legal"
CHILD_SAFETY = "analyst"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ADMIN = "admin"
OUTSIDER = "outsider"  # supervisor of another team
OFFICER_A = "officer_a"
OFFICER_B = "officer_b"
SUSPENDED = "suspended"  # an officer of agency A whose account is suspended
NO_2FA = "no_2fa"  # a supervisor past the password, not (yet) the second factor
WEB_PERSONAS = (
    ANON,
    RESPONDER,
    LEGAL,
    CHILD_SAFETY,
    SUPERVISOR,
    AUDITOR,
    ADMIN,
    OUTSIDER,
    OFFICER_A,
    OFFICER_B,
    SUSPENDED,
    NO_2FA,
)
# The callers only the API meets: bearer tokens and the match service's credential.
TOKEN_A = "token_a"
TOKEN_B = "token_b"
REVOKED = "revoked"  # officer A's token, revoked
AGENCY_SUSPENDED = "agency_suspended"  # a token of an officer whose agency is suspended
MATCH = "match"
API_PERSONAS = (TOKEN_A, TOKEN_B, REVOKED, AGENCY_SUSPENDED, MATCH)

# Every persona calls from outside the operator's networks (metrics, probes).
OUTSIDE_ADDRESS = "203.0.113.10"
FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """What the matrix's URLs point at, and how each persona calls."""

    media: Path
    objects: dict[str, Any] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # persona -> session key
    bearers: dict[str, str] = field(default_factory=dict)  # persona -> plaintext

    def client(self, persona: str) -> Client:
        """A fresh client for one request: a test's answer may rotate or end the session
        (sign-out), and the next test must still find it signed in."""
        from django.conf import settings

        client = Client(REMOTE_ADDR=OUTSIDE_ADDRESS)
        if persona in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        if persona in self.bearers:
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {self.bearers[persona]}"
        return client


def _staff(role: Role, username: str, team: Team) -> User:
    user = UserFactory(username=username, roles=[role])
    team.members.add(user)
    return user


def _session(user: User, *, verified: bool = True) -> str:
    from tests.factories import verified_client

    if verified:
        client = verified_client(user)
    else:  # past the password: signed in, the device known, the second step not taken
        import time

        from portal.accounts.middleware import AUTH_AT_KEY

        totp_device(user)
        client = Client()
        client.force_login(user)
        session = client.session
        session[AUTH_AT_KEY] = time.time()
        session.save()
    from django.conf import settings

    return client.cookies[settings.SESSION_COOKIE_NAME].value


def world_build(media: Path, pki: Path) -> World:
    with override_settings(PASSWORD_HASHERS=FAST_HASHING, MEDIA_ROOT=media):
        return _build(media, pki)


def _build(media: Path, pki: Path) -> World:
    world = World(media=media)
    o = world.objects
    team = default_team()
    other_team = Team.objects.create(name="EMEA", slug="emea")
    people: dict[str, User] = {
        RESPONDER: _staff(Role.RESPONDER, "responder", team),
        LEGAL: _staff(Role.LEGAL, "legal", team),
        CHILD_SAFETY: _staff(Role.CHILD_SAFETY, "analyst", team),
        SUPERVISOR: _staff(Role.SUPERVISOR, "supervisor", team),
        AUDITOR: _staff(Role.AUDITOR, "auditor", team),
        ADMIN: _staff(Role.ADMIN, "admin", team),
        OUTSIDER: _staff(Role.SUPERVISOR, "outsider", other_team),
        NO_2FA: _staff(Role.SUPERVISOR, "no-2fa", team),
    }
    admin = people[ADMIN]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    second_supervisor = _staff(Role.SUPERVISOR, "supervisor2", team)

    officer_a = OfficerFactory(
        agency__name="Agency A Police", agency__email_domains=["a-pd.example.gov"]
    )
    officer_b = OfficerFactory(
        agency__name="Agency B Police", agency__email_domains=["b-pd.example.gov"]
    )
    suspended = OfficerFactory(agency=officer_a.agency, status=Officer.Status.SUSPENDED)
    agency_s = AgencyFactory(name="Agency S Police", email_domains=["s-pd.example.gov"])
    officer_s = OfficerFactory(agency=agency_s)
    enrolee = OfficerFactory(agency=officer_a.agency)
    people.update({OFFICER_A: officer_a.user, OFFICER_B: officer_b.user})
    people[SUSPENDED] = suspended.user
    o.update(
        officer_a=officer_a,
        officer_b=officer_b,
        agency_a=officer_a.agency,
        agency_b=officer_b.agency,
        other_team=other_team,
    )

    _cases(o, officer_a, officer_b, people)
    _disclosure(o, people, pki)
    _cybertip(o, people, second_supervisor)
    _matching(o, people)
    _platform(o, people, enrolee)
    _tokens(world, officer_a, officer_b, officer_s, agency_s)

    for persona, user in people.items():
        world.sessions[persona] = _session(user, verified=persona != NO_2FA)
    # The match credential's actor account is made on its first call; make it now, so no
    # test's answer includes creating it.
    world.client(MATCH).post("/api/v1/match/", {})
    return world


def _cases(o: dict[str, Any], officer_a: Officer, officer_b: Officer, people: dict) -> None:
    from cases.conversation.services import message_post
    from cases.models import Case, CaseStatus, ProcessKind
    from cases.services import attachment_add
    from tests.cases.documents import pdf_upload
    from tests.cases.factories import CaseFactory, LegalProcessFactory, intake

    case_a = intake(officer_a.user)
    Case.objects.filter(pk=case_a.pk).update(status=CaseStatus.COLLECTING)
    case_a.refresh_from_db()
    o["case_a"] = case_a
    o["process_a"] = case_a.processes.get()
    o["deadline_a"] = case_a.deadlines.first()
    o["attachment_a"] = attachment_add(
        case=case_a, actor=people[RESPONDER], file=pdf_upload("records.pdf")
    )
    message = message_post(
        case=case_a,
        author=officer_a.user,
        body="The account holder's recovery e-mail, please.",
        files=[pdf_upload("letter.pdf")],
    )
    o["message_file_a"] = message.attachments.get()
    o["case_b"] = intake(officer_b.user, targets=[("email", "agency-b-only@example.com")])
    o["case_hold"] = case_hold = intake(officer_a.user, kind=ProcessKind.US_PRESERVATION)
    o["hold"] = case_hold.preservations.get()

    case_cs = CaseFactory(child_safety=True)
    LegalProcessFactory(
        case=case_cs,
        kind=ProcessKind.CYBERTIPLINE,
        country="US",
        subdivision="",
        issuing_authority="Internal detection",
        received_at=timezone.now() - timedelta(hours=2),
    )
    o["case_cs"] = case_cs
    o["attachment_cs"] = attachment_add(
        case=case_cs, actor=people[CHILD_SAFETY], file=pdf_upload("chat-log.pdf")
    )


def _disclosure(o: dict[str, Any], people: dict, pki: Path) -> None:
    from reports.disclosures import signing
    from reports.disclosures.links import download_token
    from tests.reports.disclosures.helpers import built

    with override_settings(
        LIAISON_DISCLOSURE_SIGNING_PKCS12="",
        LIAISON_DISCLOSURE_SIGNING_KEY=str(pki / "signer.key"),
        LIAISON_DISCLOSURE_SIGNING_CERT=str(pki / "signer.crt"),
        LIAISON_DISCLOSURE_SIGNING_CHAIN=[str(pki / "ca.crt")],
        LIAISON_DISCLOSURE_TRUST_ROOTS=[str(pki / "ca.crt")],
        LIAISON_DISCLOSURE_TSA_URL="",
        LIAISON_DISCLOSURE_PADES_LEVEL="B-B",
        LIAISON_DISCLOSURE_CRLS=[str(pki / "ca.crl")],
    ):
        signing._signer_cached.cache_clear()
        disclosure, _package = built(o["case_a"], people[RESPONDER], people[LEGAL])
        signing._signer_cached.cache_clear()
    o["disclosure_a"] = disclosure
    o["download_a"] = download_token(disclosure, o["agency_a"].pk)


def _cybertip(o: dict[str, Any], people: dict, second_supervisor: User) -> None:
    from reports.cybertip.referrals import referral_request
    from reports.cybertip.services import report_draft_create, report_file_add
    from tests.reports.cybertip.helpers import file_input, report_input

    report = report_draft_create(case=o["case_cs"], actor=people[CHILD_SAFETY], data=report_input())
    o["report_cs"] = report
    o["report_file_cs"] = report_file_add(
        report=report, actor=people[CHILD_SAFETY], upload=file_input()
    )
    from reports.cybertip.models import ReferralBasis
    from reports.cybertip.referrals import referral_approve

    def refer() -> Any:
        return referral_request(
            case=o["case_cs"],
            agency=o["agency_a"],
            basis=ReferralBasis.CONTENT,
            emergency="A child is in danger at the address the uploader gave.",
            disclosed="The uploads and the account's subscriber records.",
            actor=second_supervisor,
        )

    o["referral_pending"] = refer()
    o["referral_sent"] = referral_approve(referral=refer(), actor=people[SUPERVISOR])


def _matching(o: dict[str, Any], people: dict) -> None:
    from reports.matching.models import ImportJob, MatchedItem
    from tests.reports.matching.conftest import add_entries, make_list

    hash_list = make_list("ncmec")
    add_entries(hash_list, [("md5", "d41d8cd98f00b204e9800998ecf8427e", None, "")])
    o["hash_list"] = hash_list
    o["import_job"] = ImportJob.objects.create(
        hash_list=hash_list, created_by=people[CHILD_SAFETY], file_format="csv"
    )
    o["matched_item"] = MatchedItem.objects.create(
        verdict="review",
        account_id="u-100",
        md5="d41d8cd98f00b204e9800998ecf8427e",
        preserve_until=timezone.now() + timedelta(days=365),
    )


def _platform(o: dict[str, Any], people: dict, enrolee: Officer) -> None:
    from portal.accounts.enrolment import enrolment_token_make
    from portal.notifications.services import notification_send
    from reports.transparency.figures import ReportOptions
    from reports.transparency.models import ReportKind
    from reports.transparency.periods import period_current_default
    from reports.transparency.services import report_generate

    o["notification"] = notification_send(
        user=people[RESPONDER],
        subject="A case was assigned to you",
        body="See the queue.",
        dedupe_key="matrix-1",
        channels=(),
    )
    reports = [  # both sections of a period, as the generate page makes them
        report_generate(
            kind=kind,
            period=period_current_default(),
            options=ReportOptions(),
            actor=people[SUPERVISOR],
        )
        for kind in (ReportKind.LE_REQUESTS, ReportKind.DSA_ORDERS)
    ]
    o["transparency_report"] = reports[0]
    o["enrolment"] = enrolment_token_make(enrolee.user)


def _tokens(
    world: World, officer_a: Officer, officer_b: Officer, officer_s: Officer, agency_s: Agency
) -> None:
    from portal.accounts.tokens import api_token_issue, api_token_revoke
    from reports.matching.credentials import service_credential_issue

    def issue(officer: Officer) -> Any:
        return api_token_issue(user=officer.user, name="Case system", scopes=["read", "submit"])

    a = issue(officer_a)
    world.bearers[TOKEN_A] = a.plaintext
    world.objects["token_a"] = a.token
    world.bearers[TOKEN_B] = issue(officer_b).plaintext
    revoked = issue(officer_a)
    api_token_revoke(token=revoked.token, actor_label="matrix")
    world.bearers[REVOKED] = revoked.plaintext
    world.bearers[AGENCY_SUSPENDED] = issue(officer_s).plaintext
    Agency.objects.filter(pk=agency_s.pk).update(status=Agency.Status.SUSPENDED)
    world.bearers[MATCH] = service_credential_issue(
        name="upload pipeline", scopes=["match"]
    ).plaintext
