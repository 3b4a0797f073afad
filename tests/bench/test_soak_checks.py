"""The soak's judgement (bench/soak_checks.py) on a handful of made-up answers: what counts
as lost, as repeated, as a fault answer outside a fault. The soak itself is `make soak`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# Loaded by path: putting bench/ on sys.path would let bench/queue.py shadow the standard
# library's queue for the rest of the session (bench/README.md).
_PATH = Path(__file__).resolve().parents[2] / "bench" / "soak_checks.py"
_SPEC = importlib.util.spec_from_file_location("soak_checks", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
checks = importlib.util.module_from_spec(_SPEC)
sys.modules["soak_checks"] = checks  # dataclasses look their module up while building
_SPEC.loader.exec_module(checks)

GRACE, LoadStats, Window = checks.GRACE, checks.LoadStats, checks.Window
answer_kind, exactly_once, percentile = checks.answer_kind, checks.exactly_once, checks.percentile
fault_answers_outside, latency_rows = checks.fault_answers_outside, checks.latency_rows
submissions_lost = checks.submissions_lost


def test_only_a_clean_503_or_no_answer_is_a_fault_answer():
    assert answer_kind(None) == "fault"
    assert answer_kind(503) == "fault"
    assert answer_kind(429) == "throttled"
    assert answer_kind(201) == "ok"
    assert answer_kind(500) == "failure"
    assert answer_kind(502) == "failure"
    assert answer_kind(404) == "failure"


def test_fault_answers_are_allowed_during_a_fault_and_its_grace_only():
    windows = [Window("PostgreSQL restarted", start=10.0, end=12.0)]
    answers = [(11.0, "submit", "503"), (12.0 + GRACE - 0.1, "list", "connection"),
               (12.0 + GRACE + 0.1, "list", "503"), (9.0, "detail", "503")]  # fmt: skip
    assert fault_answers_outside(answers, windows) == [answers[2], answers[3]]
    assert fault_answers_outside(answers[:1], [Window("open", start=10.0)]) == []


def test_a_submission_is_lost_if_never_accepted_missing_or_stored_under_another_reference():
    accepted = {"k1": "LR-2026-000001", "k2": "LR-2026-000002", "k3": "LR-2026-000003"}
    stored = {"k1": "LR-2026-000001", "k3": "LR-2026-000009"}
    lost = submissions_lost(accepted, stored, tried={"k1", "k2", "k3", "k4"})
    assert lost == [
        "k4: tried, never accepted",
        "k2: accepted as LR-2026-000002, not in the database",
        "k3: accepted as LR-2026-000003, stored as LR-2026-000009",
    ]
    assert submissions_lost(accepted, dict(accepted), tried=set(accepted)) == []


def test_exactly_once_names_the_missing_and_the_repeated_and_ignores_the_rest():
    missing, repeated = exactly_once(["a", "b", "c"], ["a", "b", "b", "other", "other"])
    assert missing == ["c"]
    assert repeated == ["b"]


def test_percentiles_are_nearest_rank_per_operation():
    stats = LoadStats()
    for ms in range(1, 101):
        stats.answered("list", ms / 1000)
    stats.answered("submit", 0.5)
    assert percentile([1, 2, 3, 4], 50) == 2
    rows = {op: rest for op, *rest in latency_rows(stats)}
    assert rows["list"] == [100, 50, 95, 99]
    assert rows["submit"] == [1, 500, 500, 500]
    assert rows["all"][0] == 101
