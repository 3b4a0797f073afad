"""The hash chain: sealing in commit order, concurrent writers, and the canonical form."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from portal.audit.chain import GENESIS, canonical_sql, chain_seal, chain_verify
from portal.audit.models import AccessEvent
from tests.portal.audit.conftest import record


def sealed_rows() -> list[AccessEvent]:
    return list(AccessEvent.objects.exclude(seq=None).order_by("seq"))


@pytest.mark.django_db
def test_sealing_links_each_row_to_the_one_before():
    # GIVEN three events just written: not sealed yet
    events = record(3)
    assert all(e.seq is None and e.hash == "" for e in events)

    # WHEN the sealer runs
    assert chain_seal() == 3

    # THEN they hold positions 1..3 and each carries its predecessor's hash
    rows = sealed_rows()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS
    assert rows[1].prev_hash == rows[0].hash
    assert rows[2].prev_hash == rows[1].hash
    assert len({r.hash for r in rows}) == 3
    report = chain_verify()
    assert report.first_bad is None
    assert (report.count, report.head.seq, report.head.hash) == (3, 3, rows[2].hash)


@pytest.mark.django_db
def test_sealing_twice_changes_nothing_and_new_rows_continue_the_chain():
    record(2)
    chain_seal()
    before = [(r.seq, r.hash) for r in sealed_rows()]

    assert chain_seal() == 0
    assert [(r.seq, r.hash) for r in sealed_rows()] == before

    record(1)
    assert chain_seal() == 1
    rows = sealed_rows()
    assert rows[2].seq == 3
    assert rows[2].prev_hash == rows[1].hash
    assert chain_verify().first_bad is None


@pytest.mark.django_db
def test_unsealed_rows_are_reported_not_verified():
    record(2)
    chain_seal()
    record(1)

    report = chain_verify()

    assert report.first_bad is None
    assert report.count == 2
    assert report.unsealed == 1
    assert report.oldest_unsealed_seconds is not None


@pytest.mark.django_db
def test_canonical_form_is_pinned_and_ignores_the_session_time_zone():
    """The bytes hashed must never drift: this text is what version 1 hashes."""
    event = AccessEvent.objects.create(
        at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        actor_label='task:"quoted"',
        actor_roles="auditor,supervisor",
        ip="192.0.2.10",
        user_agent="Mozilla/5.0 é",
        request_id="r-123",
        action="view",
        object_type="cases.case",
        object_id="42",
        case_reference="LR-2026-000042",
        details={"b": [1, 2], "a": "x"},
    )

    def canonical() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {canonical_sql('e', '7')} FROM audit_accessevent e WHERE id = %s",  # noqa: S608
                [event.pk],
            )
            return cursor.fetchone()[0]

    expected = (
        f'[{event.pk}, 7, "2026-01-02T03:04:05.678901Z", null, "task:\\"quoted\\"", '
        '"auditor,supervisor", "", "192.0.2.10", "Mozilla/5.0 é", "r-123", "view", '
        '"cases.case", "42", "LR-2026-000042", "success", {"a": "x", "b": [1, 2]}]'
    )
    assert canonical() == expected
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'America/New_York'")
    try:
        assert canonical() == expected
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")


def _in_thread(target, *args) -> threading.Thread:
    """Run ``target`` on its own thread, hence its own database connection."""

    def run():
        try:
            target(*args)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_late_takes_a_later_place_in_the_chain():
    # GIVEN a long transaction that wrote an event (lower id) but has not committed
    written = threading.Event()
    release = threading.Event()
    slow_ids: list[int] = []

    def slow_writer():
        with transaction.atomic():
            slow_ids.append(record(1, actor_label="slow")[0].pk)
            written.set()
            assert release.wait(10)

    slow = _in_thread(slow_writer)
    assert written.wait(10)
    # AND a quick event (higher id) that committed
    quick = record(1, actor_label="quick")[0]
    assert quick.pk > slow_ids[0]

    # WHEN the sealer runs before and after the slow transaction commits
    assert chain_seal() == 1
    release.set()
    slow.join(10)
    assert chain_seal() == 1

    # THEN the quick row came first, the slow one after it, and the chain holds
    order = [r.actor_label for r in sealed_rows()]
    assert order == ["quick", "slow"]
    assert chain_verify().first_bad is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_sealers_neither_block_nor_fork_the_chain():
    # GIVEN two writers on their own connections, each committing 60 events one by one,
    # and two sealers running all the while
    per_writer = 60
    done = threading.Event()
    errors: list[BaseException] = []
    sealed_by_sealers: list[int] = []

    def writer(name: str):
        try:
            for _ in range(per_writer):
                with transaction.atomic():
                    record(1, actor_label=name)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def sealer():
        try:
            while not done.is_set():
                sealed_by_sealers.append(chain_seal(batch_size=7))
        except BaseException as exc:
            errors.append(exc)

    writers = [_in_thread(writer, "writer-a"), _in_thread(writer, "writer-b")]
    sealers = [_in_thread(sealer), _in_thread(sealer)]
    for thread in writers:
        thread.join(60)
    done.set()
    for thread in sealers:
        thread.join(60)

    # WHEN the last stragglers are sealed
    chain_seal()

    # THEN nothing failed or hung, every event has one place, and the chain verifies
    assert not errors
    assert not any(t.is_alive() for t in writers + sealers)
    rows = sealed_rows()
    assert [r.seq for r in rows] == list(range(1, 2 * per_writer + 1))
    assert AccessEvent.objects.filter(seq=None).count() == 0
    assert sum(sealed_by_sealers) > 0  # the sealers did work while writers wrote
    report = chain_verify()
    assert report.first_bad is None
    assert report.count == 2 * per_writer
