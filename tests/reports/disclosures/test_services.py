"""Preparing and releasing disclosures: the two-person rule, immutability in the database,
the "disclosed" guard, rolling productions and corrections."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from cases.errors import CaseNotFound
from cases.models import CaseStatus, DataCategory
from cases.workflow import case_transition, transitions_available
from portal.audit.models import AccessEvent
from reports.disclosures.models import (
    Disclosure,
    DisclosureKind,
    DisclosurePackage,
    DisclosureState,
    NotProducedReason,
    ProducedFile,
)
from reports.disclosures.services import (
    DisclosureInput,
    disclosure_create,
    disclosure_file_add,
    disclosure_release,
    disclosure_submit,
)
from tests.reports.disclosures.helpers import SUBSCRIBER_CSV, prepare, released

pytestmark = pytest.mark.django_db


def test_files_are_stored_with_hash_size_and_counted_records(collecting_case, responder):
    disclosure = prepare(collecting_case, responder)
    files = {f.name: f for f in disclosure.files.all()}
    assert files["logins.csv"].record_count == 40
    assert files["subscriber.csv"].record_count == 1
    assert files["subscriber.csv"].size == len(SUBSCRIBER_CSV)
    assert len(files["subscriber.csv"].sha256) == 64
    assert files["subscriber.csv"].file.read() == SUBSCRIBER_CSV
    assert AccessEvent.objects.filter(action="disclosure_file_add").count() == 2
    assert AccessEvent.objects.filter(action="disclosure_create", actor=responder).exists()


def test_a_file_whose_records_cannot_be_counted_needs_the_number(collecting_case, responder):
    disclosure = prepare(collecting_case, responder, files={})
    with pytest.raises(ValidationError) as error:
        disclosure_file_add(
            disclosure=disclosure, actor=responder, name="dump.bin", data=b"\x00\x01"
        )
    assert "record_count" in error.value.message_dict
    produced = disclosure_file_add(
        disclosure=disclosure, actor=responder, name="dump.bin", data=b"\x00\x01", record_count=3
    )
    assert produced.record_count == 3


def test_categories_beyond_the_process_are_refused(collecting_case, responder):
    process = collecting_case.processes.get()
    with pytest.raises(ValidationError) as error:
        disclosure_create(
            case=collecting_case,
            actor=responder,
            data=DisclosureInput(
                process_id=process.pk,
                kind=DisclosureKind.PRODUCTION,
                categories=[DataCategory.CONTENT],
            ),
        )
    assert "categories" in error.value.message_dict
    assert not Disclosure.objects.exists()


def test_nothing_is_produced_before_legal_approval(collecting_case, responder):
    collecting_case.status = CaseStatus.TRIAGE
    collecting_case.save()
    with pytest.raises(ValidationError) as error:
        prepare(collecting_case, responder)
    assert "kind" in error.value.message_dict


def test_the_preparer_cannot_release_their_own_disclosure(collecting_case, legal, second_legal):
    disclosure = prepare(collecting_case, legal)
    disclosure_submit(disclosure=disclosure, actor=legal)
    with pytest.raises(ValidationError, match="second person"):
        disclosure_release(disclosure=disclosure, actor=legal)
    disclosure.refresh_from_db()
    assert disclosure.state == DisclosureState.READY
    released_one = disclosure_release(disclosure=disclosure, actor=second_legal)
    assert released_one.state == DisclosureState.RELEASED
    assert released_one.approver == second_legal


def test_someone_who_added_a_file_counts_as_a_preparer(collecting_case, responder, legal):
    disclosure = prepare(collecting_case, responder, files={})
    disclosure_file_add(disclosure=disclosure, actor=legal, name="a.csv", data=SUBSCRIBER_CSV)
    disclosure_submit(disclosure=disclosure, actor=responder)
    with pytest.raises(ValidationError, match="second person"):
        disclosure_release(disclosure=disclosure, actor=legal)


def test_a_responder_may_not_release(collecting_case, responder, second_responder):
    disclosure = prepare(collecting_case, responder)
    disclosure_submit(disclosure=disclosure, actor=responder)
    with pytest.raises(ValidationError, match="legal staff or a supervisor"):
        disclosure_release(disclosure=disclosure, actor=second_responder)


def test_an_outsider_gets_the_case_404(collecting_case, responder, outsider_legal):
    disclosure = prepare(collecting_case, responder)
    disclosure_submit(disclosure=disclosure, actor=responder)
    with pytest.raises(CaseNotFound):
        disclosure_release(disclosure=disclosure, actor=outsider_legal)


def test_release_records_who_and_creates_the_package(collecting_case, responder, legal):
    disclosure = released(collecting_case, responder, legal)
    assert DisclosurePackage.objects.filter(disclosure=disclosure).exists()
    event = AccessEvent.objects.get(action="disclosure_release")
    assert event.actor == legal
    assert event.case_reference == collecting_case.reference
    assert collecting_case.timeline.filter(public=True, message__contains="released").exists()


def test_files_change_only_while_draft(collecting_case, responder):
    disclosure = prepare(collecting_case, responder)
    disclosure_submit(disclosure=disclosure, actor=responder)
    with pytest.raises(ValidationError, match="no longer a draft"):
        disclosure_file_add(
            disclosure=disclosure, actor=responder, name="late.csv", data=SUBSCRIBER_CSV
        )


def _refused(sql: str, params: list, match: str = "pgtrigger|only while it is a draft") -> None:
    """The statement is refused by our trigger or constraint (not by a typo in it)."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)


def test_the_database_refuses_to_change_a_released_disclosure(collecting_case, responder, legal):
    disclosure = released(collecting_case, responder, legal)
    produced = disclosure.files.first()
    _refused(
        "UPDATE disclosures_disclosure SET explanation = 'changed' WHERE id = %s", [disclosure.pk]
    )
    _refused("DELETE FROM disclosures_disclosure WHERE id = %s", [disclosure.pk])
    _refused("UPDATE disclosures_producedfile SET sha256 = 'x' WHERE id = %s", [produced.pk])
    _refused("DELETE FROM disclosures_producedfile WHERE id = %s", [produced.pk])
    _refused(
        "INSERT INTO disclosures_producedfile (disclosure_id, file, name, content_type, size, "
        "sha256, record_count, added_by_id, added_at) "
        "SELECT id, 'x', 'extra.csv', 'text/csv', 1, 'x', 1, preparer_id, now() "
        "FROM disclosures_disclosure WHERE id = %s",
        [disclosure.pk],
    )
    disclosure.refresh_from_db()
    assert disclosure.explanation == ""
    assert ProducedFile.objects.filter(disclosure=disclosure).count() == 2


def test_the_database_refuses_a_release_by_one_person(collecting_case, responder):
    disclosure = prepare(collecting_case, responder)
    _refused(
        "UPDATE disclosures_disclosure SET state = 'released', approver_id = preparer_id, "
        "released_at = now() WHERE id = %s",
        [disclosure.pk],
        match="disclosures_released_by_two_people",
    )


def test_rolling_productions_and_a_correction(collecting_case, responder, legal):
    first = released(collecting_case, responder, legal)
    second = released(collecting_case, responder, legal, files={"more.csv": SUBSCRIBER_CSV})
    assert (first.number, second.number) == (1, 2)
    assert second.reference.endswith("-D02")
    correction = released(
        collecting_case, responder, legal, corrects_id=first.pk, files={"fixed.csv": SUBSCRIBER_CSV}
    )
    assert correction.corrects == first
    with pytest.raises(ValidationError) as error:
        prepare(collecting_case, responder, corrects_id=prepare(collecting_case, responder).pk)
    assert "corrects" in error.value.message_dict


def test_no_records_letter_needs_a_reason(collecting_case, responder):
    with pytest.raises(ValidationError) as error:
        prepare(collecting_case, responder, kind=DisclosureKind.NO_RECORDS)
    assert "not_produced_reason" in error.value.message_dict
    letter = prepare(
        collecting_case,
        responder,
        kind=DisclosureKind.NO_RECORDS,
        not_produced_reason=NotProducedReason.NO_DATA,
    )
    disclosure_submit(disclosure=letter, actor=responder)  # no files needed
    assert Disclosure.objects.get(pk=letter.pk).state == DisclosureState.READY


# --- the "disclosed" guard ------------------------------------------------------------------


def _ready(case):
    case.status = CaseStatus.READY_TO_DISCLOSE
    case.save()
    return case


def test_disclosed_waits_for_a_released_disclosure(collecting_case, responder, legal):
    case = _ready(collecting_case)
    assert CaseStatus.DISCLOSED not in {t.target for t in transitions_available(case, responder)}
    with pytest.raises(ValidationError, match="signed disclosure"):
        case_transition(case=case, to_status=CaseStatus.DISCLOSED, actor=responder)
    draft = prepare(case, responder)
    disclosure_submit(disclosure=draft, actor=responder)
    with pytest.raises(ValidationError, match="signed disclosure"):
        case_transition(case=case, to_status=CaseStatus.DISCLOSED, actor=responder)
    disclosure_release(disclosure=draft, actor=legal)
    case.refresh_from_db()
    assert CaseStatus.DISCLOSED in {t.target for t in transitions_available(case, responder)}
    case_transition(case=case, to_status=CaseStatus.DISCLOSED, actor=responder)
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCLOSED
