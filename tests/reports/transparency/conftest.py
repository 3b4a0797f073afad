"""The hand-computed fixture of the transparency tests (numbers in ``EXPECTED``).

Business zone America/Los_Angeles. 2026-H1 holds, as a person counts them:

| # | country | kind | received (LA) | targets | outcome | notes |
|---|---|---|---|---|---|---|
| P1 | US | subpoena | 30 Jun 23:30 (UTC: 1 Jul) | 2 | disclosed | NDO |
| P2 | US | warrant | 1 Jul 00:30 | 1 | open | **H2**, not counted |
| P3 | US | subpoena | 10 Mar | 1 | withdrawn | |
| P4 | DE | EPOC | 1 Feb | 1 | disclosed, closed | agency X, API, disclosed after 48 h |
| P5 | FR | EPOC | 2 Feb | 3 | rejected, closed | agency X (multi-country), e-mail, told at 5 h |
| P6 | US | emergency | 1 Apr | 1 | disclosed | |
| P7 | US | 2703(f) preservation | 1 May | 2 (both preserved) | open | counted apart |
| P8 | US | CyberTipline | 1 Mar | 1 | - | not a request |
| P9 | GB | UK OPO | 15 Jan | 1 | open (triage) | |
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from cases.models import (
    Case,
    CaseStatus,
    LegalProcess,
    Preservation,
    ProcessKind,
    ReceivedVia,
    TimelineEvent,
    TimelineKind,
)
from reports.transparency.outcomes import case_outcomes_backfill
from tests.cases.factories import CaseFactory, LegalProcessFactory, TargetFactory
from tests.factories import AgencyFactory

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
K = ProcessKind
S = CaseStatus

EXPECTED_TOTALS = {
    "requests": 6,
    "accounts": 9,
    "produced": 3,
    "produced_pct": 50.0,
    "emergency": 1,
    "emergency_produced": 1,
    "emergency_produced_pct": 100.0,
    "us_requests": 3,
    "us_ndo": 1,
    "us_ndo_pct": 33.3,
    "rejected": 1,
    "narrowed": 0,  # no production in the fixture left records out (test_narrowed.py)
    "withdrawn": 1,
    "preservation_requests": 1,
    "accounts_preserved": 2,
}


@pytest.fixture(autouse=True)
def _business_zone(settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "America/Los_Angeles"
    settings.LIAISON_TRANSPARENCY_BAND_BELOW = 0
    settings.LIAISON_TRANSPARENCY_OTHER_BELOW = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def la(*args: int) -> datetime:
    return datetime(*args, tzinfo=LA)


def transition(case: Case, target: str, at: datetime, *, public: bool = True) -> None:
    TimelineEvent.objects.create(
        case=case,
        at=at,
        kind=TimelineKind.TRANSITION,
        public=public,
        message="Status changed from %(source)s to %(target)s.",
        params={"source": "triage", "target": target},
    )


def request(
    *,
    kind: str,
    country: str,
    received: datetime,
    targets: int,
    status: str = S.RECEIVED,
    agency=None,
    via: str = ReceivedVia.EMAIL,
    case_type: str = "request",
    **process: object,
) -> LegalProcess:
    case = CaseFactory(
        status=status,
        agency=agency,
        received_via=via,
        emergency=bool(process.get("emergency")),
        **({"child_safety": True} if case_type == "child_safety" else {}),
    )
    # created_at is auto_now_add: set it to the receipt like a real intake would
    Case.objects.filter(pk=case.pk).update(created_at=received + timedelta(minutes=1))
    proc = LegalProcessFactory(
        case=case,
        kind=kind,
        country=country,
        subdivision="",
        received_at=received,
        **process,
    )
    for _i in range(targets):
        TargetFactory(process=proc)
    return proc


@dataclass
class Fixture:
    p1: LegalProcess
    p4: LegalProcess
    p5: LegalProcess
    p7: LegalProcess
    agency_x: object


@pytest.fixture
def report_data(db) -> Fixture:
    agency_x = AgencyFactory(name="Joint Investigation Team X", country="NL", subdivision="")
    p1 = request(
        kind=K.US_SUBPOENA,
        country="US",
        received=la(2026, 6, 30, 23, 30),
        targets=2,
        status=S.DISCLOSED,
        ndo=True,
    )
    transition(p1.case, S.DISCLOSED, la(2026, 7, 1, 9, 30))
    request(kind=K.US_SEARCH_WARRANT, country="US", received=la(2026, 7, 1, 0, 30), targets=1)
    request(
        kind=K.US_SUBPOENA, country="US", received=la(2026, 3, 10, 9), targets=1, status=S.WITHDRAWN
    )
    p4 = request(
        kind=K.EU_EPOC,
        country="DE",
        received=la(2026, 2, 1, 8),
        targets=1,
        status=S.CLOSED,
        agency=agency_x,
        via=ReceivedVia.API,
    )
    transition(p4.case, S.DISCLOSED, la(2026, 2, 3, 8))
    transition(p4.case, S.CLOSED, la(2026, 2, 4, 8))
    p5 = request(
        kind=K.EU_EPOC,
        country="FR",
        received=la(2026, 2, 2, 8),
        targets=3,
        status=S.CLOSED,
        agency=agency_x,
    )
    transition(p5.case, S.TRIAGE, la(2026, 2, 2, 13))
    transition(p5.case, S.REJECTED, la(2026, 2, 3, 8))
    transition(p5.case, S.CLOSED, la(2026, 2, 5, 8))
    p6 = request(
        kind=K.US_EMERGENCY,
        country="US",
        received=la(2026, 4, 1, 12),
        targets=1,
        status=S.DISCLOSED,
        emergency=True,
        emergency_justification="Threat to life reported by the caller.",
    )
    transition(p6.case, S.DISCLOSED, la(2026, 4, 1, 14))
    p7 = request(kind=K.US_PRESERVATION, country="US", received=la(2026, 5, 1, 10), targets=2)
    hold = Preservation.objects.create(
        case=p7.case,
        process=p7,
        starts_at=p7.received_at,
        expires_at=p7.received_at + timedelta(days=90),
    )
    hold.targets.set(p7.targets.all())
    request(
        kind=K.CYBERTIPLINE,
        country="US",
        received=la(2026, 3, 1, 10),
        targets=1,
        case_type="child_safety",
    )
    request(kind=K.UK_OPO, country="GB", received=la(2026, 1, 15, 10), targets=1, status=S.TRIAGE)
    # rows written around the workflow: their outcomes come from status and timeline
    case_outcomes_backfill()
    return Fixture(p1=p1, p4=p4, p5=p5, p7=p7, agency_x=agency_x)
