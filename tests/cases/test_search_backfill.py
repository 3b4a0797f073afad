"""Cases filed before the search document held the agency's case number and the issuer's
docket are found by them once the migration's backfill has run (issue #9, search)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from cases.models import Case, TargetKind
from cases.selectors import case_search
from tests.cases.factories import intake
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("cases.migrations.0007_search_vector_backfill")


def _as_before(case: Case) -> None:
    """The document the old ``case_search_refresh`` built: no case number, no docket."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET search_vector = to_tsvector('simple', %s) WHERE id = %s",
            [f"{case.reference} {case.agency.name if case.agency else ''} x@example.com", case.pk],
        )


def test_old_cases_are_found_by_case_number_and_docket_after_the_backfill(responder):
    agency = AgencyFactory(name="Springfield Example Police")
    old = [
        intake(
            responder,
            agency=agency,
            authority_reference=f"GJ-2026-04{n}",
            agency_case_number=f"SPD-OLD-{n}",
            targets=[(TargetKind.EMAIL, "suspect@example.com")],
        )
        for n in (10, 11, 12)
    ]
    without_numbers = intake(responder, agency=agency)
    for case in old:
        _as_before(case)
    before = Case.objects.values_list("pk", "search_vector").get(pk=without_numbers.pk)
    assert not case_search(responder, "SPD-OLD-11").exists()

    # a batch of one case: every range boundary is crossed
    assert backfill.search_vectors_backfill(connection, batch=1) == 3

    for n, case in zip((10, 11, 12), old, strict=True):
        assert list(case_search(responder, f"SPD-OLD-{n}")) == [case]
        assert list(case_search(responder, f"GJ-2026-04{n}")) == [case]
        assert case in case_search(responder, "springfield")
        assert case in case_search(responder, "suspect@example.com")
    # a case with nothing to add is left as it was
    assert Case.objects.values_list("pk", "search_vector").get(pk=without_numbers.pk) == before


def test_the_backfill_builds_what_the_service_builds(responder):
    case = intake(
        responder,
        agency=AgencyFactory(name="Springfield Example Police"),
        authority_reference="GJ-2026-0412",
        agency_case_number="SPD-NEW-1",
        targets=[(TargetKind.PHONE, "+1 217 555 0161"), (TargetKind.EMAIL, "a@example.com")],
    )
    built = Case.objects.values_list("search_vector", flat=True).get(pk=case.pk)
    _as_before(case)

    backfill.search_vectors_backfill(connection)

    assert Case.objects.values_list("search_vector", flat=True).get(pk=case.pk) == built
