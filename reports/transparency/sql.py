"""The two report queries written in SQL: per (country, kind) and per half-year.

Why not the ORM: every figure needs the case's outcome, and the ORM can reach
``transparency_caseoutcome`` from a legal process only through ``cases_case`` (the
relation runs process -> case -> outcome). Given that join, PostgreSQL scanned all
cases (1M rows) for a half-year's 70,000 processes, and a correlated subquery instead
cost one probe per process (6.4 s per half-year at 1M cases, bench/transparency.py).
Here the process rows come from the covering index ``cases_process_received_cover``
(index-only), join the narrow outcome table on ``case_id`` directly, and count their
targets by index-only probes of ``cases_target (process_id)`` (a join made PostgreSQL
scan all 3M targets). ``tests/reports/transparency`` checks every figure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, transaction


@contextmanager
def no_jit() -> Iterator[None]:
    """Run the block's queries without PostgreSQL's JIT compiler (``SET LOCAL``, so only
    this transaction). These aggregates look expensive to the planner and cross
    ``jit_above_cost``, but finish in a fraction of a second: compiling them cost more
    than running them (measured at 1M cases: 48 ms of JIT for the half-year query, 335 ms
    for the DSA medians)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


GROUPED = """
SELECT p.country, p.kind,
    count(*) AS n,
    count(*) FILTER (WHERE o.disclosed_at IS NOT NULL) AS n_produced,
    count(*) FILTER (WHERE p.emergency OR p.kind = 'us_emergency_request') AS n_emergency,
    count(*) FILTER (WHERE (p.emergency OR p.kind = 'us_emergency_request')
                     AND o.disclosed_at IS NOT NULL) AS n_emergency_produced,
    count(*) FILTER (WHERE p.country = 'US' AND p.ndo) AS n_us_ndo,
    count(*) FILTER (WHERE o.outcome = 'rejected') AS n_rejected,
    count(*) FILTER (WHERE o.outcome = 'withdrawn') AS n_withdrawn,
    count(*) FILTER (WHERE o.narrowed AND o.disclosed_at IS NOT NULL) AS n_narrowed,
    sum((SELECT count(*) FROM cases_target t WHERE t.process_id = p.id))::bigint AS n_targets
FROM cases_legalprocess p
LEFT JOIN transparency_caseoutcome o ON o.case_id = p.case_id
WHERE p.received_at >= %s AND p.received_at < %s AND p.kind <> 'cybertipline'
GROUP BY p.country, p.kind
"""

BY_HALF_YEAR = """
SELECT extract(year FROM p.received_at AT TIME ZONE %s)::int AS year,
       CASE WHEN extract(month FROM p.received_at AT TIME ZONE %s) <= 6 THEN 1 ELSE 2 END AS half,
       count(*) FILTER (WHERE NOT p.kind = ANY(%s)) AS n_requests,
       count(*) FILTER (WHERE p.kind = ANY(%s)) AS n_preservation
FROM cases_legalprocess p
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
    """Requests and preservation requests per business-zone half-year (an index-only
    scan of ``cases_process_received_cover``; the outcome join would triple the cost)."""
    kinds = preservation_kinds
    return _rows(BY_HALF_YEAR, [zone, zone, kinds, kinds, start, end])
