"""Matching uploads against the active hash lists, and what a hit sets going.

``uploads_match`` answers a batch of uploads (one is a batch of one) with a verdict each:
``block`` (a hit on a blocking list), ``review`` (a hit on a review-only list, or a
blocking hit held back by flood protection) or ``allow``. Exact hashes (MD5, SHA-1,
SHA-256) are one btree lookup for the whole batch; PDQ hashes go through the shared index
(``index_store``), whose candidates are then read from the database with their lists, so
the list's own threshold, its active flag and the entry's quality decide.

An allowed upload leaves nothing but a count in the access log. A blocked or reviewed one
is recorded (``MatchedItem`` with its hits and, when sent, the file), joins the uploader's
open child-safety case or opens one (as the system actor ``system.hash-matcher``), and a
CyberTipline draft is prefilled for the analyst (``reports.matching.cases``).
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import access_event_record
from reports.matching import pdq_index
from reports.matching.index_store import MATCHER
from reports.matching.models import (
    PDQ_MIN_QUALITY,
    AllowedHash,
    HashEntry,
    HashList,
    HashType,
    MatchedItem,
    MatchHit,
    ServiceCredential,
    Verdict,
)

ALLOW_PDQ_RADIUS = 8  # a re-encoded copy of an allowed image stays allowed
CRYPTO_TYPES = (HashType.MD5, HashType.SHA1, HashType.SHA256)
PRESERVE_FOR = timedelta(days=365)  # 18 USC 2258A(h) as amended by the REPORT Act 2024


class FileUnreadable(ValueError):
    """The file sent for hashing is not an image PDQ can read."""


@dataclass
class Upload:
    """One upload as the pipeline describes it; hashes are lowercase hex (checked)."""

    account_id: str
    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    pdq: str = ""
    pdq_quality: int | None = None
    ip: str | None = None
    uploaded_at: datetime | None = None
    client: str = ""
    upload_id: str = ""
    content: bytes | None = None  # the file, when sent: kept only on block or review
    file_name: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class Match:
    list_name: str
    entry_id: int
    label: str
    labels: tuple[str, ...]
    hash_type: str
    value: str
    distance: int | None
    list_verdict: str


@dataclass
class Outcome:
    verdict: str
    matches: list[Match] = field(default_factory=list)
    item_id: int | None = None
    case_reference: str = ""
    flood_held: bool = False


def file_hashes(content: bytes) -> dict[str, Any]:
    """MD5, SHA-1, SHA-256 of the bytes and, for an image, PDQ with its quality."""
    import pdqhash  # type: ignore[import-untyped]
    from PIL import Image, UnidentifiedImageError

    out: dict[str, Any] = {
        "md5": hashlib.md5(content, usedforsecurity=False).hexdigest(),
        "sha1": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    try:
        with Image.open(io.BytesIO(content)) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise FileUnreadable(_("The file is not an image PDQ can read.")) from exc
    bits, quality = pdqhash.compute(pixels)
    out["pdq"] = np.packbits(bits.astype(np.uint8)).tobytes().hex()
    out["pdq_quality"] = int(quality)
    return out


def _settings_int(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


_RADIUS_CACHE: dict[str, Any] = {"at": -1.0, "radius": 0}


def _pdq_radius() -> int:
    """The largest threshold of an active list (the index search radius), read at most once
    a second per process; each hit is then held to its own list's threshold."""
    import time

    now = time.monotonic()
    if now - _RADIUS_CACHE["at"] > float(getattr(settings, "LIAISON_MATCH_DELTA_SECONDS", 1.0)):
        value = HashList.objects.filter(active=True).aggregate(m=Max("pdq_threshold"))["m"]
        _RADIUS_CACHE.update(at=now, radius=-1 if value is None else int(value))
    return int(_RADIUS_CACHE["radius"])


def _entry_rows(query: Q) -> list[dict[str, Any]]:
    rows = HashEntry.objects.filter(query, hash_list__active=True).values(
        "id",
        "hash_type",
        "value",
        "quality",
        "label",
        "hash_list__name",
        "hash_list__labels",
        "hash_list__pdq_threshold",
        "hash_list__verdict",
    )
    return [dict(row) for row in rows]


def _as_match(row: dict[str, Any], distance: int | None) -> Match:
    return Match(
        list_name=row["hash_list__name"],
        entry_id=row["id"],
        label=row["label"] or ",".join(row["hash_list__labels"]),
        labels=tuple(row["hash_list__labels"]),
        hash_type=row["hash_type"],
        value=row["value"],
        distance=distance,
        list_verdict=row["hash_list__verdict"],
    )


def _matches_find(uploads: list[Upload]) -> list[list[Match]]:
    """Every active list entry each upload matches, before the allow-list."""
    found: list[list[Match]] = [[] for _ in uploads]
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, upload in enumerate(uploads):
        for hash_type in CRYPTO_TYPES:
            value = getattr(upload, hash_type)
            if value:
                wanted[(hash_type, value)].append(i)
    if wanted:
        for row in _entry_rows(Q(value__in={v for _t, v in wanted}) & ~Q(hash_type="pdq")):
            for i in wanted.get((row["hash_type"], row["value"]), ()):
                found[i].append(_as_match(row, None))
    pdq_at = [
        i
        for i, u in enumerate(uploads)
        if u.pdq and (u.pdq_quality is None or u.pdq_quality >= PDQ_MIN_QUALITY)
    ]
    radius = _pdq_radius() if pdq_at else -1
    if pdq_at and radius >= 0:
        queries = pdq_index.hex_to_words([uploads[i].pdq for i in pdq_at])
        results = MATCHER.search_batch(queries, radius)
        distance_of: dict[tuple[int, int], int] = {}
        for i, res in zip(pdq_at, results, strict=True):
            for row_id, d in zip(res.rows.tolist(), res.distances.tolist(), strict=True):
                distance_of[(i, row_id)] = d
        ids = {row_id for _i, row_id in distance_of}
        if ids:
            rows = {
                r["id"]: r
                for r in _entry_rows(
                    Q(id__in=ids, hash_type="pdq")
                    & (Q(quality__isnull=True) | Q(quality__gte=PDQ_MIN_QUALITY))
                )
            }
            for (i, row_id), d in sorted(distance_of.items()):
                hit = rows.get(row_id)
                if hit is not None and d <= hit["hash_list__pdq_threshold"]:
                    found[i].append(_as_match(hit, d))
    for matches in found:
        matches.sort(key=lambda m: (m.distance or 0, m.list_name, m.entry_id))
    return found


def _allowed_filter(uploads: list[Upload], found: list[list[Match]]) -> None:
    """Drop matches the allow-list silences (reviewed false positives)."""
    if not any(found):
        return
    values = {getattr(u, t) for u in uploads for t in CRYPTO_TYPES if getattr(u, t)}
    allowed: list[tuple[str, str, int | None]] = list(
        AllowedHash.objects.filter(Q(value__in=values) | Q(hash_type="pdq")).values_list(
            "hash_type", "value", "entry_id"
        )
    )
    if not allowed:
        return
    pdq_allowed = [(v, e) for t, v, e in allowed if t == "pdq"]
    pdq_words = pdq_index.hex_to_words([v for v, _e in pdq_allowed]) if pdq_allowed else None
    exact = {(t, v): e for t, v, e in allowed if t != "pdq"}
    exact_any = {(t, v) for t, v, e in allowed if t != "pdq" and e is None}
    for i, upload in enumerate(uploads):
        if not found[i]:
            continue
        silenced_entries: set[int] = set()
        silence_all = False
        for t in CRYPTO_TYPES:
            value = getattr(upload, t)
            if (t, value) in exact_any:
                silence_all = True
            elif (entry := exact.get((t, value))) is not None:
                silenced_entries.add(entry)
        if upload.pdq and pdq_words is not None:
            d = pdq_index.distances(pdq_words, pdq_index.hex_to_words([upload.pdq])[0])
            for (_v, entry_id), dist in zip(pdq_allowed, d.tolist(), strict=True):
                if dist <= ALLOW_PDQ_RADIUS:
                    if entry_id is None:
                        silence_all = True
                    else:
                        silenced_entries.add(entry_id)
        if silence_all:
            found[i] = []
        else:
            found[i] = [m for m in found[i] if m.entry_id not in silenced_entries]


def _flooded_entries(entry_ids: set[int], now: datetime) -> set[int]:
    """Entries that matched far more distinct uploads in the last hour than usual: a bad
    entry (a common harmless image added by mistake) must not block thousands of users.

    'Far more' is more than ``LIAISON_MATCH_FLOOD_MIN`` distinct items in the hour and
    more than ``LIAISON_MATCH_FLOOD_FACTOR`` times the entry's hourly average over the
    week before.
    """
    if not entry_ids:
        return set()
    minimum = _settings_int("LIAISON_MATCH_FLOOD_MIN", 50)
    factor = _settings_int("LIAISON_MATCH_FLOOD_FACTOR", 10)
    hour = now - timedelta(hours=1)
    week = now - timedelta(days=7)
    counts = (
        MatchHit.objects.filter(entry_id__in=entry_ids, created_at__gte=week)
        .values("entry_id")
        .annotate(
            recent=Count("item", distinct=True, filter=Q(created_at__gte=hour)),
            before=Count("item", distinct=True, filter=Q(created_at__lt=hour)),
        )
    )
    flooded = set()
    for row in counts:
        usual = row["before"] / (7 * 24 - 1)
        if row["recent"] >= minimum and row["recent"] > factor * usual:
            flooded.add(row["entry_id"])
    return flooded


def _verdict(matches: list[Match], flooded: set[int]) -> tuple[str, bool]:
    if not matches:
        return Verdict.ALLOW, False
    blocking = [m for m in matches if m.list_verdict == Verdict.BLOCK]
    if not blocking:
        return Verdict.REVIEW, False
    if all(m.entry_id in flooded for m in blocking):
        return Verdict.REVIEW, True
    return Verdict.BLOCK, False


def _item_record(
    *, upload: Upload, outcome: Outcome, credential: ServiceCredential | None, now: datetime
) -> MatchedItem:
    item = MatchedItem(
        verdict=outcome.verdict,
        account_id=upload.account_id,
        ip=upload.ip or None,
        uploaded_at=upload.uploaded_at,
        client=upload.client[:200],
        upload_id=upload.upload_id[:200],
        md5=upload.md5,
        sha1=upload.sha1,
        sha256=upload.sha256,
        pdq=upload.pdq,
        pdq_quality=upload.pdq_quality,
        flood_held=outcome.flood_held,
        credential=credential,
        preserve_until=now + PRESERVE_FOR,
    )
    if upload.content is not None:
        digest = upload.sha256 or hashlib.sha256(upload.content).hexdigest()
        item.file.save(f"{digest}", ContentFile(upload.content), save=False)
        item.file_name = upload.file_name[:200]
        item.file_size = len(upload.content)
        item.file_content_type = upload.content_type[:100]
    item.save()
    MatchHit.objects.bulk_create(
        MatchHit(
            item=item,
            entry_id=m.entry_id,
            list_name=m.list_name,
            label=m.label[:32],
            hash_type=m.hash_type,
            value=m.value,
            distance=m.distance,
        )
        for m in outcome.matches
    )
    return item


def uploads_match(
    *, uploads: list[Upload], credential: ServiceCredential | None, record: bool = True
) -> list[Outcome]:
    """The verdict on each upload, in order; hits recorded and cases opened (``record``).

    Each recorded item commits on its own (with its case and draft), so one failing item
    does not undo the others' records; the access log gets one row per request with the
    verdict counts, and one per recorded item.
    """
    from reports.matching.cases import item_case_attach

    now = timezone.now()
    found = _matches_find(uploads)
    _allowed_filter(uploads, found)
    flooded = _flooded_entries(
        {m.entry_id for ms in found for m in ms if m.list_verdict == Verdict.BLOCK}, now
    )
    outcomes = []
    for matches in found:
        verdict, held = _verdict(matches, flooded)
        outcomes.append(Outcome(verdict=verdict, matches=matches, flood_held=held))
    counts = {v: 0 for v in Verdict.values}
    for outcome in outcomes:
        counts[outcome.verdict] += 1
    with transaction.atomic():
        access_event_record(
            action="match_request",
            actor_label=f"service:{credential.name}" if credential else "match",
            obj=credential,
            details={"items": len(uploads), **counts},
        )
    if not record:
        return outcomes
    for upload, outcome in zip(uploads, outcomes, strict=True):
        if outcome.verdict == Verdict.ALLOW:
            continue
        with transaction.atomic():
            item = _item_record(upload=upload, outcome=outcome, credential=credential, now=now)
            case = item_case_attach(item=item, now=now)
            outcome.item_id = item.pk
            outcome.case_reference = case.reference
            access_event_record(
                action="match_recorded",
                actor_label=f"service:{credential.name}" if credential else "match",
                obj=item,
                case_reference=case.reference,
                details={
                    "verdict": outcome.verdict,
                    "hits": len(outcome.matches),
                    "flood_held": outcome.flood_held,
                    "file_kept": upload.content is not None,
                },
            )
    return outcomes
