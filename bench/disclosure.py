"""Bench: one production of 5,000 files, rendered, signed, packed and validated (issue 12).

Seeds its own database (``liaison_bench_disclosure`` on the ``DATABASE_URL`` server), a
request in "collecting records" and ``--files`` small produced files per run (stored like
real ones: content-addressed under a temporary MEDIA_ROOT), releases the disclosure
through the real services, then times ``package_build`` stage by stage, as the render
task runs it: CSV manifest (5,000 rows are far over the PDF table limit), WeasyPrint
render, pyHanko PAdES signature (with reading back its facts), ZIP; then the validation
of the signed PDF a recipient's check runs (``pdf_validate``).

Targets: the whole disclosure (PDF + CSV + ZIP) under 10 s; signing and validation
together add under 5 % (ratio signed/unsigned under 1.05), where
``unsigned = total - sign`` and ``signed = total + validate``. The same ratio is printed
from the process's CPU seconds (``time.process_time``: the TSA of the bench runs in this
process, PostgreSQL does not), which a busy machine disturbs far less than wall time.

Usage::

    .venv/bin/python bench/disclosure.py                  # 5,000 files, 3 runs, B-B, B-T and B-LT
    .venv/bin/python bench/disclosure.py --files 500 --runs 1
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402  (needs ROOT on the path)

DATABASE = "liaison_bench_disclosure"


def _setup(media: Path, pki: Path) -> None:
    seed.database_create(DATABASE, drop=True)
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ["LIAISON_DISCLOSURE_PKI_DIR"] = str(pki)
    os.environ["LIAISON_AUDIT_SEAL_ON_COMMIT"] = "0"
    seed.django_setup(seed.database_url(DATABASE))
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("disclosure_demo_pki", verbosity=0)


def _people():  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    from portal.accounts.models import Team, User

    team = Team.objects.get(is_default=True)
    people = {}
    for name, role in (("bench-responder", "responder"), ("bench-legal", "legal")):
        user = User.objects.create(username=name, email=f"{name}@provider.example.com")
        user.groups.add(Group.objects.get(name=role))
        team.members.add(user)
        people[role] = user
    return team, people


def _case(team, number: int):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from cases.models import Case, CaseStatus, DataCategory, LegalProcess, ProcessKind

    now = timezone.now()
    case = Case.objects.create(
        reference=f"LR-2026-{800000 + number:06d}",
        case_type="request",
        status=CaseStatus.COLLECTING,
        team=team,
        status_changed_at=now,
    )
    LegalProcess.objects.create(
        case=case,
        kind=ProcessKind.US_2703D_ORDER,
        country="US",
        issuing_authority="US District Court for the District of Example",
        received_at=now,
        data_categories=[DataCategory.NON_CONTENT, DataCategory.LOGIN_IP],
    )
    return case


def _production(case, people, files: int) -> int:  # type: ignore[no-untyped-def]
    from django.core.files.storage import default_storage

    from cases.models import DataCategory
    from reports.disclosures.models import ProducedFile
    from reports.disclosures.services import (
        DisclosureInput,
        disclosure_create,
        disclosure_release,
        disclosure_submit,
    )

    responder, legal = people["responder"], people["legal"]
    disclosure = disclosure_create(
        case=case,
        actor=responder,
        data=DisclosureInput(
            process_id=case.processes.get().pk,
            kind="production",
            categories=[DataCategory.NON_CONTENT],
        ),
    )
    rows = []
    for i in range(files):
        data = f"message_id,from,to,at\r\n<{case.pk}.{i}@example.com>,a@example.com,".encode()
        data += f"b{i}@example.com,2026-01-01T00:00:{i % 60:02d}Z\r\n".encode() * (1 + i % 20)
        sha = hashlib.sha256(data).hexdigest()
        name = f"disclosures/files/{sha[:2]}/{sha}.csv"
        path = Path(default_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rows.append(
            ProducedFile(
                disclosure=disclosure,
                file=name,
                name=f"headers-{i:05d}.csv",
                content_type="text/csv",
                size=len(data),
                sha256=sha,
                record_count=1 + i % 20,
                added_by=responder,
            )
        )
    ProducedFile.objects.bulk_create(rows, batch_size=1000)
    disclosure_submit(disclosure=disclosure, actor=responder)
    disclosure_release(disclosure=disclosure, actor=legal)
    return disclosure.pk


def _measure(disclosure_id: int, tsa_url: str, level: str) -> dict[str, float]:
    from django.core.files.storage import default_storage

    from reports.disclosures.package import package_build
    from reports.disclosures.validation import pdf_validate

    started, cpu = time.perf_counter(), time.process_time()
    package, times = package_build(disclosure_id=disclosure_id, tsa_url=tsa_url, level=level)
    total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    with default_storage.open(package.pdf_file.name, "rb") as handle:
        pdf = handle.read()
    started, cpu = time.perf_counter(), time.process_time()
    report = pdf_validate(pdf)
    validate, validate_cpu = time.perf_counter() - started, time.process_time() - cpu
    if not report.ok:
        raise SystemExit("the signed PDF did not validate")
    if report.signatures[0].level != level:
        raise SystemExit(f"asked for {level}, the PDF validates as {report.signatures[0].level}")
    return {
        "total": total,
        "render": times.render,
        "sign": times.sign,
        "pack": times.pack,
        "other": total - times.render - times.sign - times.pack,
        "validate": validate,
        "sign_cpu": times.sign_cpu,
        "validate_cpu": validate_cpu,
        "pages": float(package.pdf_pages or 0),
        "zip_mb": (package.zip_size or 0) / 2**20,
        "ratio": (total + validate) / (total - times.sign),
        "cpu_ratio": (total_cpu + validate_cpu) / (total_cpu - times.sign_cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liaison-bench-disclosure-") as tmp:
        media, pki = Path(tmp) / "media", Path(tmp) / "pki"
        _setup(media, pki)
        from reports.disclosures.tsa import tsa_start_thread

        team, people = _people()
        server, tsa_url = tsa_start_thread(pki)
        print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        print(f"production of {args.files} files, {args.runs} runs per level\n")
        print(
            f"{'':5} {'':8} {'':7} {'sign ms':>13} {'':6} {'':7} {'validate ms':>13} "
            f"{'':5} {'':7} {'signed/unsigned':>16}"
        )
        print(
            f"{'level':5} {'total s':>8} {'render':>7} {'wall':>6} {'cpu':>6} {'zip':>6} "
            f"{'csv+db':>7} {'wall':>6} {'cpu':>6} {'pages':>5} {'zip MB':>7} {'wall':>7} "
            f"{'cpu':>8}"
        )
        number = 0
        for level, url in (("B-B", ""), ("B-T", tsa_url), ("B-LT", tsa_url)):
            results = []
            for _run in range(args.runs):
                number += 1
                seeded = _production(_case(team, number), people, args.files)
                results.append(_measure(seeded, url, level))
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            print(
                f"{level:5} {med['total']:8.2f} {med['render']:7.2f} {1000 * med['sign']:6.1f} "
                f"{1000 * med['sign_cpu']:6.1f} {med['pack']:6.2f} {med['other']:7.2f} "
                f"{1000 * med['validate']:6.1f} {1000 * med['validate_cpu']:6.1f} "
                f"{med['pages']:5.0f} {med['zip_mb']:7.1f} {med['ratio']:7.3f} "
                f"{med['cpu_ratio']:8.3f}"
            )
        server.shutdown()
        print("\ntargets: total < 10 s; signed/unsigned < 1.05 (medians)")
        print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    seed.database_create(DATABASE, drop=True)


if __name__ == "__main__":
    main()
