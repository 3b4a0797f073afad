"""Matching uploads: exact and near hits, thresholds, quality, allow-list, flood, cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseType, TimelineEvent
from portal.audit.models import AccessEvent
from reports.matching.index_store import MATCHER, pdq_index_build
from reports.matching.matching import Upload, uploads_match
from reports.matching.models import (
    AllowedHash,
    HashEntry,
    HashList,
    ItemStatus,
    MatchedItem,
    MatchHit,
)
from reports.matching.services import hash_list_ensure, item_review
from tests.reports.matching.conftest import add_entries, flip, make_list, random_pdq

pytestmark = pytest.mark.django_db

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def one(**kwargs):
    kwargs.setdefault("account_id", "user-1001")
    return uploads_match(uploads=[Upload(**kwargs)], credential=None)[0]


def test_exact_hashes_block_and_unknown_ones_are_allowed(child_safety_team):
    add_entries(
        make_list(labels=["A1", "B1"]), [("md5", MD5, None, "A1"), ("sha256", SHA256, None, "B1")]
    )
    hit = one(md5=MD5)
    assert hit.verdict == "block"
    assert [(m.list_name, m.label, m.hash_type, m.distance) for m in hit.matches] == [
        ("ncmec", "A1", "md5", None)
    ]
    assert one(sha256="0" * 64).verdict == "allow"
    # an allowed upload leaves no item, only the request's count in the access log
    assert MatchedItem.objects.count() == 1
    request_events = AccessEvent.objects.filter(action="match_request").order_by("id")
    assert [e.details["allow"] for e in request_events] == [0, 1]


@pytest.mark.parametrize("bits,verdict", [(0, "block"), (5, "block"), (31, "block"), (32, "allow")])
def test_pdq_near_matches_up_to_the_threshold(rng, child_safety_team, bits, verdict):
    stored = random_pdq(rng)
    add_entries(make_list(), [("pdq", stored, 100, "")])
    pdq_index_build()
    outcome = one(pdq=flip(stored, bits, rng), pdq_quality=90)
    assert outcome.verdict == verdict
    if verdict == "block":
        assert [m.distance for m in outcome.matches] == [bits]


def test_each_list_has_its_own_threshold(rng, child_safety_team):
    stored = random_pdq(rng)
    add_entries(make_list("strict", pdq_threshold=10), [("pdq", stored, 100, "")])
    add_entries(make_list("loose", pdq_threshold=40), [("pdq", stored, 100, "")])
    pdq_index_build()
    assert [m.list_name for m in one(pdq=flip(stored, 10, rng)).matches] == ["loose", "strict"]
    assert [m.list_name for m in one(pdq=flip(stored, 11, rng)).matches] == ["loose"]
    assert [m.list_name for m in one(pdq=flip(stored, 38, rng)).matches] == ["loose"]
    # lowering a threshold takes effect without a rebuild
    hash_list_ensure(name="loose", actor=None, actor_label="test", pdq_threshold=20)
    assert one(pdq=flip(stored, 38, rng)).matches == []


def test_low_quality_hashes_are_ignored(rng, child_safety_team):
    good, poor = random_pdq(rng), random_pdq(rng)
    add_entries(make_list(), [("pdq", good, 80, ""), ("pdq", poor, 49, "")])
    pdq_index_build()
    assert one(pdq=good, pdq_quality=49).verdict == "allow"  # the upload's own hash is poor
    assert one(pdq=poor, pdq_quality=100).verdict == "allow"  # the list's entry is poor
    assert one(pdq=good, pdq_quality=50).verdict == "block"


def test_a_hash_added_after_the_build_matches_at_once(rng, child_safety_team):
    # GIVEN an index built with one hash
    hash_list = make_list()
    first, later = random_pdq(rng), random_pdq(rng)
    add_entries(hash_list, [("pdq", first, 100, "")])
    pdq_index_build()
    assert one(pdq=flip(first, 3)).verdict == "block"
    # WHEN another hash is imported, with no rebuild
    add_entries(hash_list, [("pdq", later, 100, "")])
    # THEN the delta finds it, and a rebuild (compaction) moves it into the generation
    assert one(pdq=flip(later, 3)).verdict == "block"
    assert len(MATCHER.delta_ids) == 1
    pdq_index_build()
    assert one(pdq=flip(later, 4)).verdict == "block"
    assert len(MATCHER.delta_ids) == 0 and MATCHER.index is not None and MATCHER.index.count == 2


def test_a_generation_of_an_older_layout_still_matches_and_is_rebuilt(
    rng, child_safety_team, django_capture_on_commit_callbacks
):
    """After an upgrade changes the index files' layout, the generation on disk cannot be
    read as before: matching goes on from the database, and a rebuild is asked for."""
    import json

    from reports.matching.index_store import index_dir

    stored = random_pdq(rng)
    add_entries(make_list(), [("pdq", stored, 100, "")])
    built = pdq_index_build()
    meta = index_dir() / built.generation / "meta.json"
    old = json.loads(meta.read_text())
    del old["format"]
    meta.write_text(json.dumps(old))
    MATCHER.generation, MATCHER.checked_at = "", -1e18  # a worker that starts now
    with django_capture_on_commit_callbacks() as queued:
        assert one(pdq=flip(stored, 5, rng)).verdict == "block"
    # the rebuild was asked for (queued when the request's transaction commits)
    assert MATCHER.index is None and MATCHER.compaction_asked and queued


def test_inactive_lists_and_removed_entries_stop_matching_without_a_rebuild(rng, child_safety_team):
    stored = random_pdq(rng)
    add_entries(make_list(), [("pdq", stored, 100, ""), ("md5", MD5, None, "")])
    pdq_index_build()
    HashEntry.objects.filter(hash_type="pdq").delete()
    assert one(pdq=stored).verdict == "allow"
    hash_list_ensure(name="ncmec", actor=None, actor_label="test", active=False)
    assert one(md5=MD5).verdict == "allow"


def test_review_only_list_sends_to_review(child_safety_team):
    add_entries(make_list("partner", review_only=True), [("md5", MD5, None, "")])
    assert one(md5=MD5).verdict == "review"


def test_false_positive_feeds_the_allow_list(rng, analyst):
    # GIVEN an upload blocked on a PDQ entry
    stored = random_pdq(rng)
    add_entries(make_list(), [("pdq", stored, 100, "")])
    pdq_index_build()
    upload_pdq = flip(stored, 6, rng)
    outcome = one(pdq=upload_pdq, sha256=SHA256)
    assert outcome.verdict == "block"
    item = MatchedItem.objects.get(pk=outcome.item_id)
    # WHEN the analyst marks it a false positive
    item_review(item=item, actor=analyst, confirmed=False, reason="a stock photo of a beach")
    # THEN the same image (and a re-encoded copy) is allowed, other near hashes still block
    assert MatchedItem.objects.get(pk=item.pk).status == ItemStatus.FALSE_POSITIVE
    assert AllowedHash.objects.get().value == upload_pdq
    assert one(pdq=upload_pdq).verdict == "allow"
    assert one(pdq=flip(upload_pdq, 3, rng)).verdict == "allow"
    assert one(pdq=flip(stored, 20, rng)).verdict == "block"  # far from the allowed one


def test_allow_list_without_entry_silences_every_list(child_safety_team, analyst):
    add_entries(make_list("a"), [("md5", MD5, None, "")])
    add_entries(make_list("b"), [("md5", MD5, None, "")])
    AllowedHash.objects.create(hash_type="md5", value=MD5, reason="empty file", created_by=analyst)
    assert one(md5=MD5).verdict == "allow"


def test_flood_protection_holds_a_suddenly_busy_entry_for_review(settings, child_safety_team):
    settings.LIAISON_MATCH_FLOOD_MIN = 3
    add_entries(make_list(), [("md5", MD5, None, "")])
    verdicts = [one(md5=MD5, account_id=f"user-{i}").verdict for i in range(5)]
    # the first three block; from then on the entry matched far more than its usual none
    assert verdicts == ["block", "block", "block", "review", "review"]
    assert MatchedItem.objects.filter(flood_held=True).count() == 2


def test_flood_protection_spares_an_entry_that_always_matches_this_much(
    settings, child_safety_team
):
    settings.LIAISON_MATCH_FLOOD_MIN = 3
    add_entries(make_list(), [("md5", MD5, None, "")])
    entry = HashEntry.objects.get()
    # GIVEN the entry matched three distinct uploads in every hour of the past week
    old = MatchedItem.objects.bulk_create(
        MatchedItem(verdict="block", account_id=f"old-{i}", preserve_until=timezone.now())
        for i in range(3 * 7 * 24)
    )
    MatchHit.objects.bulk_create(
        MatchHit(item=item, entry=entry, list_name="ncmec", hash_type="md5", value=MD5)
        for item in old
    )
    MatchHit.objects.update(created_at=timezone.now() - timedelta(days=3))
    # WHEN it matches three more this hour, THEN that is its usual rate: still blocking
    verdicts = [one(md5=MD5, account_id=f"user-{i}").verdict for i in range(4)]
    assert verdicts == ["block"] * 4


def test_one_case_per_uploader_within_the_window(child_safety_team, settings):
    add_entries(
        make_list(labels=["A1"]), [("md5", MD5, None, "A1"), ("sha256", SHA256, None, "A1")]
    )
    first = one(md5=MD5, account_id="user-7", ip="192.0.2.10")
    second = one(sha256=SHA256, account_id="user-7")
    other = one(md5=MD5, account_id="user-8")
    assert first.case_reference == second.case_reference != other.case_reference
    case = Case.objects.get(reference=first.case_reference)
    assert case.case_type == CaseType.CHILD_SAFETY and case.team == child_safety_team
    assert sorted(case.targets.values_list("kind", "normalised")) == [
        ("account_id", "user-7"),
        ("ip", "192.0.2.10"),
    ]
    assert TimelineEvent.objects.filter(case=case).count() >= 2
    assert MatchedItem.objects.filter(case=case).count() == 2
    # the timeline and the log name the system actor, not a person
    assert case.processes.get().created_by.username == "system.hash-matcher"
    # past the window, a new hit opens a new case
    settings.LIAISON_MATCH_CASE_WINDOW_DAYS = 0
    assert one(md5=MD5, account_id="user-7").case_reference != first.case_reference


def test_items_are_preserved_for_a_year(child_safety_team):
    add_entries(make_list(), [("md5", MD5, None, "")])
    item = MatchedItem.objects.get(pk=one(md5=MD5).item_id)
    assert item.preserve_until - item.created_at >= timedelta(days=365, seconds=-1)
    assert item.file_viewed_by_esp is False
    assert HashList.objects.get().name == "ncmec"
