"""Keeping ``CaseOutcome`` in step with the workflow, and filling it for existing cases.

The effect runs inside ``case_transition``'s transaction for every move to disclosed,
rejected or withdrawn (registered from ``AppConfig.ready``; the domain does not know this
app). ``case_outcomes_backfill`` rebuilds the rows from the timeline: for the migration
that introduces the table, and for data loaded around the workflow (bench seeds).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection

from cases.models import Case, CaseStatus
from reports.transparency.models import CaseOutcome

OUTCOMES = (CaseStatus.DISCLOSED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN)


def _narrowed(case: Case) -> bool:
    """The disclosures app says whether a released production narrowed the request; without
    that app nothing is ever narrowed."""
    if not apps.is_installed("reports.disclosures"):
        return False
    from reports.disclosures.rules import case_narrowed

    return case_narrowed(case.pk)


def case_outcome_record(*, case: Case, actor: Any, now: datetime, reason: str = "") -> None:
    """Transition effect: record the outcome the case just reached (and, on disclosed,
    whether the production was narrowed: the guard has made sure it is released)."""
    disclosed = case.status == CaseStatus.DISCLOSED
    row = CaseOutcome.objects.select_for_update().filter(case_id=case.pk).first()
    if row is None:
        CaseOutcome.objects.create(
            case_id=case.pk,
            outcome=case.status,
            outcome_at=now,
            disclosed_at=now if disclosed else None,
            narrowed=disclosed and _narrowed(case),
        )
        return
    row.outcome = case.status
    row.outcome_at = now
    if disclosed and row.disclosed_at is None:
        row.disclosed_at = now
    if disclosed:
        row.narrowed = _narrowed(case)
    row.save(update_fields=["outcome", "outcome_at", "disclosed_at", "narrowed"])


BACKFILL_SQL = """
INSERT INTO transparency_caseoutcome (case_id, outcome, outcome_at, disclosed_at)
SELECT c.id,
       coalesce(last.target, c.status),
       coalesce(last.at, c.status_changed_at),
       coalesce(first_disclosed.at, CASE WHEN c.status = 'disclosed' THEN c.status_changed_at END)
FROM cases_case c
LEFT JOIN LATERAL (
    SELECT e.params->>'target' AS target, e.at FROM cases_timelineevent e
    WHERE e.case_id = c.id AND e.kind = 'transition'
      AND e.params->>'target' IN ('disclosed', 'rejected', 'withdrawn')
    ORDER BY e.at DESC, e.id DESC LIMIT 1
) last ON true
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM cases_timelineevent e
    WHERE e.case_id = c.id AND e.kind = 'transition' AND e.params->>'target' = 'disclosed'
) first_disclosed ON true
WHERE c.status IN ('disclosed', 'rejected', 'withdrawn') OR last.target IS NOT NULL
ON CONFLICT (case_id) DO NOTHING
"""


def case_outcomes_backfill() -> int:
    """Add the outcome of every case that has one and no row yet; returns rows added.
    A case's status wins when it is itself an outcome; a closed case takes the last
    outcome its timeline records."""
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL_SQL)
        return cursor.rowcount
