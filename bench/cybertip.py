"""Bench: CyberTipline reports built and validated per second, from the database.

    .venv/bin/python bench/cybertip.py                  # 5,000 reports
    .venv/bin/python bench/cybertip.py --reports 20000 --reseed

Works in its own database on the ``DATABASE_URL`` server (``liaison_bench_cybertip``,
kept and reused; ``--reseed`` rebuilds it). Seeds child-safety cases with one report each,
through the ORM in bulk: every report has a reported user with two IP capture events and a
device id, a victim, an intended recipient, two internet-details blocks (a web page with
two URLs and a chat), annotations, an escalation for every tenth, a law-enforcement block
for every fifth, a follow-up citing prior reports for every seventh, and one or two files.

Measured, ``--rounds`` times (median kept): ``reports_build`` over all reports (the
prefetching loader: a handful of queries per batch of 500, then one ``<report>`` element
per report, serialised and validated against the XSD with lxml). Prints reports/s for the
whole path and, separately, for validation alone and for building alone, with the
target (>= 2,000/s; lxml alone validates a report at ~18,000/s on this machine).
Not a test: ``make test`` never runs it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402  (needs ROOT on the path)

DB = "liaison_bench_cybertip"
TARGET = 2000


def _seed(count: int) -> None:
    from django.db import transaction

    from cases.models import Case, CaseType, LegalProcess, ProcessKind
    from portal.accounts.models import Team, User
    from reports.cybertip.models import (
        CyberTipReport,
        DetailKind,
        IncidentType,
        InternetDetail,
        PersonRole,
        ReportFile,
        ReportPerson,
    )

    team, _ = Team.objects.get_or_create(slug="bench-cs", defaults={"name": "Bench CS"})
    user, _ = User.objects.get_or_create(username="bench-analyst")
    types = IncidentType.values
    base = datetime(2026, 6, 1, tzinfo=UTC)
    with transaction.atomic():
        cases = Case.objects.bulk_create(
            Case(
                reference=f"CS-2026-{i:06d}",
                case_type=CaseType.CHILD_SAFETY,
                team=team,
                status_changed_at=base,
            )
            for i in range(count)
        )
        LegalProcess.objects.bulk_create(
            LegalProcess(
                case=c,
                kind=ProcessKind.CYBERTIPLINE,
                country="US",
                issuing_authority="Internal detection",
                received_at=base,
            )
            for c in cases
        )
        reports = CyberTipReport.objects.bulk_create(
            CyberTipReport(
                case=c,
                created_by=user,
                reported_user_key=f"u{i}",
                incident_type=types[i % len(types)],
                incident_at=base - timedelta(minutes=i),
                incident_time_zone=("UTC", "Europe/Berlin", "America/Chicago")[i % 3],
                platform="Example Platform",
                annotations=["sextortion", "csamSolicitation"][: i % 3],
                escalate_text="Imminent risk to a child" if i % 10 == 0 else "",
                le_agency_name="Example County Police" if i % 5 == 0 else "",
                le_case_number="ECP-2026-1" if i % 5 == 0 else "",
                prior_report_ids=[4564654 + i, 4564655 + i] if i % 7 == 0 else [],
                additional_info=f"Report {i} <with> & escaped text",
            )
            for i, c in enumerate(cases)
        )
        people = []
        details = []
        files = []
        for i, r in enumerate(reports):
            events = [
                {"ip": "203.0.113.9", "event": "Upload", "at": "2026-05-31T10:00:00+00:00"},
                {"ip": "2001:db8::1", "event": "Login", "port": 443},
            ]
            people += [
                ReportPerson(
                    report=r,
                    role=PersonRole.REPORTED,
                    esp_identifier=f"u{i}",
                    screen_name=f"user_{i}",
                    emails=[f"u{i}@example.com"],
                    phones=["+15555550123"],
                    ip_events=events,
                    device_ids=[{"type": "IMEI", "value": "490154203237518"}],
                    account_permanently_disabled=True,
                    position=0,
                ),
                ReportPerson(report=r, role=PersonRole.VICTIM, age=12 + i % 5, position=1),
                ReportPerson(
                    report=r, role=PersonRole.INTENDED_RECIPIENT, esp_identifier=f"v{i}", position=2
                ),
            ]
            details += [
                InternetDetail(
                    report=r,
                    kind=DetailKind.WEB_PAGE,
                    urls=[f"https://example.com/p/{i}", f"https://example.com/q/{i}"],
                    position=0,
                ),
                InternetDetail(
                    report=r,
                    kind=DetailKind.CHAT_IM,
                    chat_client="Example Chat",
                    content="chat text " * 20,
                    position=1,
                ),
            ]
            for n in range(1 + i % 2):
                files.append(
                    ReportFile(
                        report=r,
                        file=f"bench/{i}-{n}",
                        original_name=f"f{i}-{n}.jpg",
                        size=1000,
                        md5=f"{i * 2 + n:032x}",
                        sha256=f"{i * 2 + n:064x}",
                        added_by=user,
                    )
                )
        ReportPerson.objects.bulk_create(people, batch_size=5000)
        InternetDetail.objects.bulk_create(details, batch_size=5000)
        ReportFile.objects.bulk_create(files, batch_size=5000)


def _measure(rounds: int) -> None:
    from reports.cybertip.build import reports_build, reports_loaded
    from reports.cybertip.models import CyberTipReport
    from reports.cybertip.xml import schema

    validator = schema()
    count = CyberTipReport.objects.count()
    whole, whole_cpu, build_only, validate_only = [], [], [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        invalid = 0
        elements = []
        for _pk, _document, errors in reports_build(CyberTipReport.objects.all()):
            invalid += bool(errors)
        whole.append(count / (time.perf_counter() - started))
        whole_cpu.append(count / (time.process_time() - cpu))
        assert invalid == 0, f"{invalid} invalid reports"

        # Building alone (no validation), then validation alone of the built elements.
        from reports.cybertip.build import contact_facts, reporter_facts
        from reports.cybertip.xml import report_element

        reporter, contact = reporter_facts(), contact_facts()
        started = time.perf_counter()
        for report in reports_loaded(CyberTipReport.objects.order_by("pk")).iterator(
            chunk_size=500
        ):
            elements.append(
                report_element(
                    report,
                    details=list(report.internet_details.all()),
                    persons=list(report.persons.all()),
                    reporter=reporter,
                    contact=contact,
                )
            )
        build_only.append(count / (time.perf_counter() - started))
        started = time.perf_counter()
        for element in elements:
            validator.validate(element)
        validate_only.append(count / (time.perf_counter() - started))
    print(f"reports: {count}, rounds: {rounds} (median); load before: {os.getloadavg()[0]:.1f}")
    print(f"built, serialised, validated from the DB: {statistics.median(whole):,.0f}/s")
    print(
        f"  one-report path (model instances), unvalidated: {statistics.median(build_only):,.0f}/s"
    )
    print(f"  XSD validation only:                  {statistics.median(validate_only):,.0f}/s")
    print(
        f"  per CPU second of this process:       {statistics.median(whole_cpu):,.0f}/s "
        "(what wall-clock shows on an idle machine; PostgreSQL's share is 3 queries a batch)"
    )
    print(f"load after: {os.getloadavg()[0]:.1f} (2 cores; above 2 the wall-clock rate is shared)")
    ratio = statistics.median(whole) / TARGET
    print(f"target {TARGET:,}/s: ratio {ratio:.2f} ({'met' if ratio >= 1 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    fresh = args.reseed or not seed.database_exists(DB)
    if fresh:
        seed.database_create(DB, drop=True)
    seed.django_setup(seed.database_url(DB))
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from reports.cybertip.models import CyberTipReport

    if fresh:
        started = time.perf_counter()
        _seed(args.reports)
        print(f"seeded {args.reports} reports in {time.perf_counter() - started:.1f} s")
    elif CyberTipReport.objects.count() != args.reports:
        print(
            f"(the database holds {CyberTipReport.objects.count()} reports; "
            f"--reseed for {args.reports})"
        )
    _measure(args.rounds)


if __name__ == "__main__":
    main()
