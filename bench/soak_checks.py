"""What the soak (bench/soak.py) counts and how it judges the counts: no Django, no servers.

Kept apart from the orchestration so a test can run the same judgement on a handful of
made-up answers (tests/bench/test_soak_checks.py), and so the rules are in one place:

- a request answered 2xx counts, with its latency;
- a connection error, a timeout or a 503 is a *fault answer*: allowed only while a fault
  lasts (plus ``GRACE`` seconds for the portal to notice the service is back), and the
  client retries it; outside a fault window it is a failure;
- a 429 is counted apart and retried after its ``Retry-After``;
- any other 5xx, or a 4xx, is a failure;
- every submission accepted (201) must be in the database under the reference the client
  was given, and every submission tried must end accepted (the client retries with the
  same ``Idempotency-Key`` until it is);
- reminders and CyberTipline reports: each expected one exactly once at the receiving end.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

GRACE = 5.0  # seconds after a fault ends during which fault answers are still expected


@dataclass
class Window:
    """One fault, from its start to the moment the service answered again (monotonic s)."""

    name: str
    start: float
    end: float | None = None

    def holds(self, at: float) -> bool:
        end = math.inf if self.end is None else self.end + GRACE
        return self.start <= at <= end


@dataclass
class LoadStats:
    """Everything the clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    tried: int = 0
    fault_answers: list[tuple[float, str, str]] = field(default_factory=list)  # at, op, kind
    throttled: int = 0
    failures: list[tuple[float, str, str]] = field(default_factory=list)  # at, op, what
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> reference
    submissions_tried: set[str] = field(default_factory=set)

    def answered(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def answer_kind(status: int | None) -> str:
    """How the soak treats one answer: ok, fault (retry), throttled (retry) or failure."""
    if status is None or status == 503:
        return "fault"
    if status == 429:
        return "throttled"
    if 200 <= status < 300:
        return "ok"
    return "failure"


def fault_answers_outside(
    answers: Iterable[tuple[float, str, str]], windows: Sequence[Window]
) -> list[tuple[float, str, str]]:
    """Fault answers (connection errors, 503) that no fault window explains."""
    return [a for a in answers if not any(w.holds(a[0]) for w in windows)]


def fault_answers_by_window(
    answers: Iterable[tuple[float, str, str]], windows: Sequence[Window]
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for at, _op, kind in answers:
        for window in windows:
            if window.holds(at):
                counts[f"{window.name}: {kind}"] += 1
                break
    return counts


def submissions_lost(
    accepted: Mapping[str, str], stored: Mapping[str, str | None], tried: Iterable[str]
) -> list[str]:
    """What went missing, in words: a key tried but never accepted, an accepted one not in
    the database, or one stored under another reference than the client was given."""
    lost = []
    for key in sorted(set(tried) - set(accepted)):
        lost.append(f"{key}: tried, never accepted")
    for key, reference in sorted(accepted.items()):
        if key not in stored:
            lost.append(f"{key}: accepted as {reference}, not in the database")
        elif stored[key] != reference:
            lost.append(f"{key}: accepted as {reference}, stored as {stored[key]}")
    return lost


def exactly_once(expected: Iterable[str], received: Iterable[str]) -> tuple[list[str], list[str]]:
    """(missing, repeated): expected items never received, and expected items received
    twice or more. Other items received (other notifications) are not judged here."""
    counts = Counter(received)
    wanted = set(expected)
    missing = sorted(wanted - set(counts))
    repeated = sorted(k for k in wanted if counts[k] > 1)
    return missing, repeated


def latency_rows(stats: LoadStats) -> list[tuple[str, int, float, float, float]]:
    """(operation, answers, p50, p95, p99) in milliseconds, one row per operation and all."""
    rows = []
    every: list[float] = []
    for op in sorted(stats.latencies):
        values = stats.latencies[op]
        every.extend(values)
        rows.append((op, len(values), *(1000 * percentile(values, p) for p in (50, 95, 99))))
    rows.append(("all", len(every), *(1000 * percentile(every, p) for p in (50, 95, 99))))
    return rows
