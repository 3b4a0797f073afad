"""The match API's own metrics, on the default Prometheus registry that ``/metrics``
exports (``portal.metrics``): verdicts, hits, and the service time of a match request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

if TYPE_CHECKING:
    from reports.matching.matching import Outcome

MATCH_VERDICTS = Counter(
    "liaison_match_verdicts",
    "Uploads answered by the match API, by verdict (block, review, allow).",
    ["verdict"],
)
for _verdict in ("block", "review", "allow"):
    MATCH_VERDICTS.labels(verdict=_verdict)
MATCH_FLOOD_HELD = Counter(
    "liaison_match_flood_held",
    "Blocking hits held for review because their entry matched far more uploads than usual.",
)
MATCH_SECONDS = Histogram(
    "liaison_match_request_seconds",
    "Time to answer one match request (hashing, lookups, recording), by form.",
    ["form"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1.0),
)


def match_observe(*, outcomes: Sequence[Outcome], seconds: float) -> None:
    for outcome in outcomes:
        MATCH_VERDICTS.labels(verdict=outcome.verdict).inc()
        if outcome.flood_held:
            MATCH_FLOOD_HELD.inc()
    MATCH_SECONDS.labels(form="batch" if len(outcomes) > 1 else "single").observe(seconds)
