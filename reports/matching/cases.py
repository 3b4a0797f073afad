"""What a recorded match opens: the uploader's child-safety case and a CyberTipline draft.

One case per uploader within ``LIAISON_MATCH_CASE_WINDOW_DAYS`` (default 30): an account
that uploads fifty known files is one incident for an analyst, not fifty. Concurrent hits
of one uploader are serialised by a transaction-scoped advisory lock on the account id, so
two workers never open two cases for it. The matcher acts as the system actor
``system.hash-matcher`` (child-safety role, child-safety team), so the access log and the
case timeline name the machine, not a person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext_noop

from cases.errors import CaseNotFound
from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseType,
    Priority,
    ProcessKind,
    ReceivedVia,
    TimelineKind,
)
from cases.services.intake import case_intake, intake_input
from cases.services.timeline import timeline_event_add
from portal.accounts.system import system_actor
from reports.matching.models import MatchedItem, UploaderCase
from reports.matching.selectors import MATCHER_ACTOR

logger = logging.getLogger(__name__)

INDUSTRY_CLASSIFICATIONS = frozenset({"A1", "A2", "B1", "B2"})


def _window() -> timedelta:
    return timedelta(days=int(getattr(settings, "LIAISON_MATCH_CASE_WINDOW_DAYS", 30)))


def item_case_attach(*, item: MatchedItem, now: datetime) -> Case:
    """Join the item to its uploader's open case within the window, or open one; then
    prefill the uploader's CyberTipline draft. Runs in the caller's transaction."""
    actor = system_actor(MATCHER_ACTOR)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                ["matching:uploader:" + item.account_id],
            )
        link = (
            UploaderCase.objects.select_related("case")
            .filter(
                account_id=item.account_id,
                last_hit_at__gte=now - _window(),
                case__status__in=OPEN_STATUSES,
            )
            .order_by("-last_hit_at")
            .first()
        )
        lists = sorted({h.list_name for h in item.hits.all()})
        if link is None:
            targets = [("account_id", item.account_id)]
            if item.ip:
                targets.append(("ip", item.ip))
            case = case_intake(
                actor=actor,
                data=intake_input(
                    kind=ProcessKind.CYBERTIPLINE,
                    case_type=CaseType.CHILD_SAFETY,
                    country=getattr(settings, "LIAISON_MATCH_CASE_COUNTRY", "US"),
                    issuing_authority="Known-image matching",
                    received_at=now,
                    targets=targets,
                    received_via=ReceivedVia.INTERNAL,
                    priority=Priority.URGENT if item.verdict == "block" else None,
                    summary=f"Upload matched known material ({', '.join(lists)})",
                ),
            )
            UploaderCase.objects.create(
                account_id=item.account_id, case=case, opened_at=now, last_hit_at=now
            )
        else:
            case = link.case
            UploaderCase.objects.filter(pk=link.pk).update(last_hit_at=now)
            timeline_event_add(
                case=case,
                kind=TimelineKind.NOTE,
                actor=actor,
                message=gettext_noop("Another upload matched known material (%(lists)s)."),
                params={"lists": ", ".join(lists)},
            )
        MatchedItem.objects.filter(pk=item.pk).update(case=case)
        item.case = case
        cybertip_prefill(item=item, case=case, actor=actor)
    return case


def cybertip_prefill(*, item: MatchedItem, case: Case, actor: object) -> None:
    """Add the item to the uploader's CyberTipline draft (``reports.cybertip``), with the
    file when the pipeline sent it: hashes, uploader IP and upload time, classification.
    The file goes as not viewed by the provider: the draft's ``fileViewedByEsp`` follows
    the access log, which holds a view only once an analyst opened it in the review.

    A draft the cybertip app refuses (a field it finds invalid) does not undo the match:
    the case and the preserved item are what matter at once; the analyst completes the
    draft by hand and the refusal is logged.
    """
    from reports.cybertip import services as cybertip

    files = []
    if item.file:
        label = next((h.label for h in item.hits.all() if h.label in INDUSTRY_CLASSIFICATIONS), "")
        with item.file.open("rb") as fh:
            content = fh.read()
        files.append(
            cybertip.FileInput(
                name=item.file_name or f"upload-{item.pk}",
                content=content,
                content_type=item.file_content_type,
                uploaded_to_esp_at=item.uploaded_at,
                uploader_ip=item.ip or None,
                industry_classification=label,
                pdq=item.pdq,
                additional_info=f"Matched known material: {item.hits.count()} hash list entries.",
            )
        )
    try:
        with transaction.atomic():
            cybertip.cybertip_draft_for_user(
                case=case,
                reported_user_id=item.account_id,
                actor=actor,  # type: ignore[arg-type]
                files=files,
                incident_at=item.uploaded_at or item.created_at,
            )
    except (ValidationError, CaseNotFound) as exc:
        logger.warning("cybertip draft not prefilled for item %s: %s", item.pk, type(exc).__name__)
