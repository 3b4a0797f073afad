"""The two report queries written in SQL: per (country, kind) and per half-year.

Why not the ORM: every figure needs the case's outcome, and the ORM can reach
``transparency_caseoutcome`` from a legal process only through ``cases_case`` (the
relation runs process -> case -> outcome). Given that join, PostgreSQL scanned all
cases (1M rows) for a half-year's 70,000 processes, and a correlated subquery instead
cost one probe per process (6.4 s per half-year at 1M cases, bench/transparency.py).
Here the process rows come from ``cases_process_received`` and join the narrow outcome
table on ``case_id`` directly. ``tests/reports/transparency`` checks every figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

GROUPED = """
SELECT p.country, p.kind,
    count(*) AS n,
    count(*) FILTER (WHERE o.disclosed_at IS NOT NULL) AS n_produced,
    count(*) FILTER (WHERE p.emergency OR p.kind = 'us_emergency_request') AS n_emergency,
    count(*) FILTER (WHERE (p.emergency OR p.kind = 'us_emergency_request')
                     AND o.disclosed_at IS NOT NULL) AS n_emergency_produced,
    count(*) FILTER (WHERE p.country = 'US' AND p.ndo) AS n_us_ndo,
    count(*) FILTER (WHERE o.outcome = 'rejected') AS n_rejected,
    count(*) FILTER (WHERE o.outcome = 'withdrawn') AS n_withdrawn
FROM cases_legalprocess p
LEFT JOIN transparency_caseoutcome o ON o.case_id = p.case_id
WHERE p.received_at >= %s AND p.received_at < %s AND p.kind <> 'cybertipline'
GROUP BY p.country, p.kind
"""

BY_HALF_YEAR = """
SELECT extract(year FROM p.received_at AT TIME ZONE %s)::int AS year,
       CASE WHEN extract(month FROM p.received_at AT TIME ZONE %s) <= 6 THEN 1 ELSE 2 END AS half,
       count(*) FILTER (WHERE NOT p.kind = ANY(%s)) AS n_requests,
       count(*) FILTER (WHERE NOT p.kind = ANY(%s) AND o.disclosed_at IS NOT NULL) AS n_produced,
       count(*) FILTER (WHERE p.kind = ANY(%s)) AS n_preservation
FROM cases_legalprocess p
LEFT JOIN transparency_caseoutcome o ON o.case_id = p.case_id
WHERE p.received_at >= %s AND p.received_at < %s AND p.kind <> 'cybertipline'
GROUP BY 1, 2
"""


def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def grouped(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Counts per (country, kind) of the process received in ``[start, end)``."""
    return _rows(GROUPED, [start, end])


def by_half_year(
    start: datetime, end: datetime, zone: str, preservation_kinds: list[str]
) -> list[dict[str, Any]]:
    """Requests, produced and preservation requests per business-zone half-year."""
    kinds = preservation_kinds
    return _rows(BY_HALF_YEAR, [zone, zone, kinds, kinds, kinds, start, end])
