"""Backfill the full-text document of cases filed before it held the agency's case number
and the issuer's docket (issue #9, item 9).

``case_search_refresh`` now puts both numbers into ``Case.search_vector``, but only when a
case is refreshed; older cases stayed unfindable by them. This rebuilds the same document in
SQL (reference, agency name, each process's numbers, every target as normalised and as
given), only for cases that have a number to add, in primary-key ranges of ``BATCH`` cases,
each its own transaction, so a large table is neither locked whole nor held in one huge
transaction (1M cases: about 100 short updates). Running it again rebuilds the same vectors.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, transaction

BATCH = 10_000

_SQL = """
UPDATE cases_case AS c
SET search_vector = to_tsvector('simple', d.document)
FROM (
    SELECT c.id,
           concat_ws(' ', c.reference, a.name, p.numbers, t.targets) AS document
    FROM cases_case c
    LEFT JOIN accounts_agency a ON a.id = c.agency_id
    LEFT JOIN LATERAL (
        SELECT string_agg(concat_ws(' ', nullif(lp.agency_case_number, ''),
                                    nullif(lp.authority_reference, '')), ' '
                          ORDER BY lp.id) AS numbers
        FROM cases_legalprocess lp WHERE lp.case_id = c.id
    ) p ON true
    LEFT JOIN LATERAL (
        SELECT string_agg(CASE WHEN tg.value = tg.normalised THEN tg.normalised
                               ELSE tg.normalised || ' ' || tg.value END, ' '
                          ORDER BY tg.id) AS targets
        FROM cases_target tg WHERE tg.case_id = c.id
    ) t ON true
    WHERE c.id >= %s AND c.id < %s
      AND EXISTS (
          SELECT 1 FROM cases_legalprocess q
          WHERE q.case_id = c.id
            AND (q.agency_case_number <> '' OR q.authority_reference <> '')
      )
) AS d
WHERE c.id = d.id
"""


def search_vectors_backfill(connection: Any, *, batch: int = BATCH) -> int:
    """Rebuild the documents of every case with a number to add; returns how many."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM cases_case")
        low, high = cursor.fetchone()
    if low is None:
        return 0
    updated = 0
    for start in range(low, high + 1, batch):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(_SQL, [start, start + batch])
            updated += cursor.rowcount
    return updated


def forwards(apps: Any, schema_editor: Any) -> None:
    search_vectors_backfill(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [
        ("cases", "0006_transparency_covering_index"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
