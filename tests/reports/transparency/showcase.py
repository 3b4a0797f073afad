"""A realistic, fictitious half-year of requests for the browser screenshots.

Deterministic (seeded), inserted with ``bulk_create`` so a few thousand rows take a
second: countries weighted like a large provider's report, the usual mix of kinds,
outcomes and preservation requests, EU orders with the two DSA clocks, and three earlier
half-years for the trend.
"""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, timedelta

from django.utils import timezone

from cases.models import (
    Case,
    CaseStatus,
    LegalProcess,
    Preservation,
    ProcessKind,
    ReceivedVia,
    Target,
    TargetKind,
    TimelineEvent,
)
from reports.transparency.outcomes import case_outcomes_backfill
from tests.factories import default_team

K = ProcessKind
S = CaseStatus
COUNTRIES = [
    (
        "US",
        420,
        [K.US_SUBPOENA] * 5
        + [K.US_2703D_ORDER] * 2
        + [K.US_SEARCH_WARRANT] * 3
        + [K.US_EMERGENCY, K.US_PRESERVATION, K.US_PRESERVATION],
    ),
    ("GB", 120, [K.UK_OPO, K.UK_OPO, K.MLAT]),
    ("DE", 110, [K.EU_EPOC, K.EU_EPOC, K.EU_EPOC_PR]),
    ("FR", 95, [K.EU_EPOC, K.EU_EPOC, K.EU_EPOC_PR]),
    ("BR", 80, [K.BR_COURT_ORDER, K.BR_COURT_ORDER, K.BR_RETENTION_DEMAND]),
    ("CA", 60, [K.CA_PRODUCTION_ORDER, K.CA_PRESERVATION_DEMAND]),
    ("AU", 45, [K.AU_IPO]),
    ("IN", 40, [K.MLAT]),
    ("ES", 30, [K.EU_EPOC]),
    ("IT", 25, [K.EU_EPOC]),
    ("NL", 20, [K.EU_EPOC]),
    ("JP", 6, [K.MLAT]),
    ("NZ", 4, [K.MLAT]),
]
OUTCOMES = [S.DISCLOSED] * 6 + [S.CLOSED] * 3 + [S.REJECTED] * 2 + [S.WITHDRAWN] + [S.TRIAGE]


def showcase_seed(*, zone: str = "America/Los_Angeles", year: int = 2026) -> int:
    rng = random.Random(15)
    tz = zoneinfo.ZoneInfo(zone)
    team = default_team()
    halves = [(year - 1, 1, 0.8), (year - 1, 2, 0.9), (year, 1, 1.0)]
    plan = []
    for y, half, scale in halves:
        start = datetime(y, 1 if half == 1 else 7, 1, tzinfo=tz)
        for country, n, kinds in COUNTRIES:
            for _i in range(int(n * scale)):
                received = start + timedelta(seconds=rng.randrange(181 * 86400))
                plan.append((country, rng.choice(kinds), received, rng.choice(OUTCOMES)))
    now = timezone.now()
    cases = Case.objects.bulk_create(
        Case(
            reference=f"LR-SHOW-{i:06d}",
            case_type="request",
            status=S.TRIAGE if kind in (K.US_PRESERVATION, K.EU_EPOC_PR) else outcome,
            team=team,
            emergency=kind == K.US_EMERGENCY,
            received_via=rng.choice([ReceivedVia.API, ReceivedVia.PORTAL, ReceivedVia.EMAIL]),
            status_changed_at=now,
        )
        for i, (country, kind, received, outcome) in enumerate(plan)
    )
    processes = LegalProcess.objects.bulk_create(
        LegalProcess(
            case=case,
            kind=kind,
            country=country,
            issuing_authority="Example authority",
            received_at=received,
            ndo=country == "US" and rng.random() < 0.4,
            emergency=kind == K.US_EMERGENCY,
            emergency_justification="Threat to life." if kind == K.US_EMERGENCY else "",
        )
        for case, (country, kind, received, _o) in zip(cases, plan, strict=True)
    )
    for case, (_c, _k, received, _o) in zip(cases, plan, strict=True):
        case.created_at = received + timedelta(minutes=rng.uniform(0.5, 20))
    Case.objects.bulk_update(cases, ["created_at"], batch_size=500)
    targets = Target.objects.bulk_create(
        Target(
            process=p,
            case=p.case,
            kind=TargetKind.EMAIL,
            value=f"u{p.pk}-{j}@example.com",
            normalised=f"u{p.pk}-{j}@example.com",
        )
        for p in processes
        for j in range(1 + (rng.random() < 0.35) + (rng.random() < 0.1))
    )
    holds = Preservation.objects.bulk_create(
        Preservation(
            case=p.case,
            process=p,
            starts_at=p.received_at,
            expires_at=p.received_at + timedelta(days=90),
        )
        for p in processes
        if p.kind
        in (K.US_PRESERVATION, K.EU_EPOC_PR, K.BR_RETENTION_DEMAND, K.CA_PRESERVATION_DEMAND)
    )
    by_process = {h.process_id: h for h in holds}
    Preservation.targets.through.objects.bulk_create(
        Preservation.targets.through(preservation_id=by_process[t.process_id].pk, target_id=t.pk)
        for t in targets
        if t.process_id in by_process
    )
    events = []
    for p, (_c, _k, received, outcome) in zip(processes, plan, strict=True):
        events.append(
            TimelineEvent(
                case=p.case,
                at=received + timedelta(hours=rng.uniform(0.2, 30)),
                kind="transition",
                public=True,
                message="m",
                params={"target": "triage"},
            )
        )
        if outcome in (S.DISCLOSED, S.CLOSED):
            events.append(
                TimelineEvent(
                    case=p.case,
                    at=received + timedelta(days=rng.uniform(2, 20)),
                    kind="transition",
                    public=True,
                    message="m",
                    params={"target": "disclosed"},
                )
            )
    TimelineEvent.objects.bulk_create(events)
    case_outcomes_backfill()
    return len(plan)
