"""Demo data: released, signed answers the demo officers can download (``make run``).

``demo_answer`` is called by ``cases.demo`` (through ``cases.demo.DEMO_ANSWERS``) for the
case it marks disclosed: a production of two files, prepared by the responder and released
by legal. ``load_demo`` adds a no-records letter to a request still collecting records and
renders every queued package at once when the demo PKI exists (``make run`` creates it
first), so the downloads work before the worker has started.
"""

from __future__ import annotations

import logging
from typing import Any

from cases.models import Case, CaseStatus, DataCategory
from portal.accounts.models import User
from reports.disclosures.models import (
    Disclosure,
    DisclosureKind,
    DisclosurePackage,
    NotProducedReason,
    PackageStatus,
)
from reports.disclosures.policy import process_asks_for_records
from reports.disclosures.services import (
    DisclosureInput,
    disclosure_create,
    disclosure_file_add,
    disclosure_release,
    disclosure_submit,
)

logger = logging.getLogger(__name__)

SUBSCRIBER = (
    b"account_id,email,phone,created_at,display_name\r\n"
    b"100007731,fraud.suspect@example.com,+12025550147,2023-11-02T18:04:11Z,Sam Example\r\n"
)
LOGINS = b"account_id,login_at,ip,user_agent\r\n" + b"".join(
    f"100007731,2026-10-{d:02d}T0{d % 10}:12:00Z,198.51.100.{d},ExampleBrowser/1.0\r\n".encode()
    for d in range(1, 29)
)


def _release(disclosure: Disclosure, preparer: User, approver: User) -> Disclosure:
    disclosure_submit(disclosure=disclosure, actor=preparer)
    return disclosure_release(disclosure=disclosure, actor=approver)


def demo_answer(*, case: Case, preparer: User, approver: User) -> None:
    """A two-file production for the first process of ``case``, released."""
    process = case.processes.order_by("pk").first()
    if process is None or not process_asks_for_records(process.kind):
        return
    disclosure = disclosure_create(
        case=case,
        actor=preparer,
        data=DisclosureInput(
            process_id=process.pk,
            kind=DisclosureKind.PRODUCTION,
            categories=[DataCategory.SUBSCRIBER, DataCategory.LOGIN_IP],
            not_produced_categories=[DataCategory.LOCATION],
            not_produced_reason=NotProducedReason.NOT_RETAINED,
        ),
    )
    disclosure_file_add(
        disclosure=disclosure, actor=preparer, name="subscriber.csv", data=SUBSCRIBER
    )
    disclosure_file_add(
        disclosure=disclosure, actor=preparer, name="login-history.csv", data=LOGINS
    )
    _release(disclosure, preparer, approver)


def load_demo(context: dict[str, Any]) -> None:
    staff = context["staff"]
    cases: list[Case] = list(context.get("cases", []))
    if not Disclosure.objects.filter(kind=DisclosureKind.NO_RECORDS).exists():
        for case in cases:
            case.refresh_from_db()
            process = case.processes.order_by("pk").first()
            if (
                case.status == CaseStatus.COLLECTING
                and case.agency_id
                and process is not None
                and process_asks_for_records(process.kind)
                and not case.disclosures.exists()
            ):
                letter = disclosure_create(
                    case=case,
                    actor=staff["responder"],
                    data=DisclosureInput(
                        process_id=process.pk,
                        kind=DisclosureKind.NO_RECORDS,
                        not_produced_reason=NotProducedReason.NO_DATA,
                        explanation="No account is registered to the identifiers named.",
                    ),
                )
                _release(letter, staff["responder"], staff["legal"])
                break
    _render_now()


def _render_now() -> None:
    from reports.disclosures.package import package_build
    from reports.disclosures.signing import SigningNotConfigured

    for package in DisclosurePackage.objects.exclude(status=PackageStatus.DONE):
        try:
            package_build(disclosure_id=package.pk)
        except SigningNotConfigured:
            logger.warning("No signing key: demo disclosures stay queued for the worker.")
            return
