"""Steps the disclosure tests share: prepare, release and build through the real services."""

from __future__ import annotations

from typing import Any

from cases.models import DataCategory
from reports.disclosures.models import Disclosure, DisclosureKind
from reports.disclosures.package import package_build
from reports.disclosures.services import (
    DisclosureInput,
    disclosure_create,
    disclosure_file_add,
    disclosure_release,
    disclosure_submit,
)

SUBSCRIBER_CSV = (
    b"account_id,email,created_at,display_name\r\n"
    b"100234,suspect@example.com,2024-03-01T10:22:00Z,Example Suspect\r\n"
)
LOGINS_CSV = b"account_id,ip,at\r\n" + b"".join(
    f"100234,192.0.2.{i},2026-0{1 + i % 9}-1{i % 10}T08:00:00Z\r\n".encode() for i in range(1, 41)
)


def prepare(
    case: Any,
    preparer: Any,
    *,
    files: dict[str, bytes] | None = None,
    kind: str = DisclosureKind.PRODUCTION,
    **overrides: Any,
) -> Disclosure:
    process = case.processes.get()
    values: dict[str, Any] = {"process_id": process.pk, "kind": kind}
    if kind == DisclosureKind.PRODUCTION:
        values["categories"] = [DataCategory.SUBSCRIBER, DataCategory.LOGIN_IP]
    values.update(overrides)
    disclosure = disclosure_create(case=case, actor=preparer, data=DisclosureInput(**values))
    if kind == DisclosureKind.PRODUCTION:
        for name, data in (
            files or {"subscriber.csv": SUBSCRIBER_CSV, "logins.csv": LOGINS_CSV}
        ).items():
            disclosure_file_add(disclosure=disclosure, actor=preparer, name=name, data=data)
    return disclosure


def released(case: Any, preparer: Any, approver: Any, **kwargs: Any) -> Disclosure:
    disclosure = prepare(case, preparer, **kwargs)
    disclosure_submit(disclosure=disclosure, actor=preparer)
    return disclosure_release(disclosure=disclosure, actor=approver)


def built(
    case: Any,
    preparer: Any,
    approver: Any,
    *,
    tsa_url: str | None = None,
    level: str | None = None,
    **kwargs: Any,
):
    disclosure = released(case, preparer, approver, **kwargs)
    package, _times = package_build(disclosure_id=disclosure.pk, tsa_url=tsa_url, level=level)
    return disclosure, package


def content(stored: Any) -> bytes:
    """The bytes of a stored file (a fresh handle each time)."""
    from django.core.files.storage import default_storage

    with default_storage.open(stored.name, "rb") as handle:
        return handle.read()


def answered(case: Any, *, preparer: Any, approver: Any) -> list[Disclosure]:
    """A released no-records letter for each process of ``case`` that asks for records, so
    the workflow's "disclosed" guard (``reports.disclosures.rules``) lets the case move.
    For tests of other areas that take a case through "disclosed"."""
    from reports.disclosures.models import NotProducedReason
    from reports.disclosures.policy import process_asks_for_records

    letters = []
    for process in case.processes.all():
        if not process_asks_for_records(process.kind):
            continue
        letter = disclosure_create(
            case=case,
            actor=preparer,
            data=DisclosureInput(
                process_id=process.pk,
                kind=DisclosureKind.NO_RECORDS,
                not_produced_reason=NotProducedReason.NO_DATA,
            ),
        )
        disclosure_submit(disclosure=letter, actor=preparer)
        letters.append(disclosure_release(disclosure=letter, actor=approver))
    return letters
