"""The file formats hash lists travel in: CSV with a header, JSON lines, and the
hasher-matcher-actioner's file exchange (one ``<signal type> <value>`` per line).

Parsing yields checked rows or refusals with their line numbers; nothing here writes. The
HMA format is that of python-threatexchange's ``LocalFileSignalExchangeAPI``: a line holds a
signal type name (``pdq``, ``video_md5``, ``video_sha256``) and the hash, separated by one
space. It carries no quality and no label, so an export to it drops both (and SHA-1, which
HMA has no signal type for: counted as skipped).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from portal.spreadsheets import csv_cell, csv_cell_restore
from reports.matching.models import HEX_LENGTHS, HashType

FORMATS = ("csv", "jsonl", "hma")
HASH_COLUMNS = ("md5", "sha1", "sha256", "pdq")
QUALITY_COLUMNS = ("quality", "pdq_quality")
KNOWN_COLUMNS = frozenset({*HASH_COLUMNS, *QUALITY_COLUMNS, "label"})
# HMA signal type names, both ways. ``md5``/``sha256`` are accepted on import too.
HMA_TO_TYPE = {
    "pdq": HashType.PDQ,
    "video_md5": HashType.MD5,
    "video_sha256": HashType.SHA256,
    "md5": HashType.MD5,
    "sha256": HashType.SHA256,
    "sha1": HashType.SHA1,
}
TYPE_TO_HMA = {HashType.PDQ: "pdq", HashType.MD5: "video_md5", HashType.SHA256: "video_sha256"}
LABEL_MAX = 32
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Row:
    """One hash of one line, checked: lowercase hex of the right length."""

    line: int
    hash_type: str
    value: str
    quality: int | None
    label: str


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


class FileRefused(ValueError):
    """The file as a whole cannot be read (no header naming a hash column, not UTF-8...)."""


def hash_normalise(hash_type: str, value: object) -> str | None:
    """Lowercase hex of the length the type has, or None when it is not a hash of it."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if len(text) != HEX_LENGTHS[hash_type] or not _HEX.fullmatch(text):
        return None
    return text


def quality_parse(value: object) -> int | str | None:
    """The PDQ quality 0-100, None when absent, or an error message."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return _("quality is not a whole number")
    if not 0 <= number <= 100:
        return _("quality must be between 0 and 100")
    return number


def format_guess(name: str, head: str) -> str:
    """The format by the file's extension, else by its first line."""
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".txt", ".hma")):
        return "hma"
    first = head.lstrip().split("\n", 1)[0].strip()
    if first.startswith("{"):
        return "jsonl"
    if "," in first or first.lower() in KNOWN_COLUMNS:
        return "csv"
    return "hma"


def _record_rows(
    line: int, record: dict[str, Any], allowed_labels: frozenset[str]
) -> tuple[list[Row], str]:
    """The rows of one CSV or JSON record, or a reason to refuse it (all or nothing)."""
    label = record.get("label")
    label = "" if label is None else str(label).strip()
    if len(label) > LABEL_MAX:
        return [], _("label longer than %(n)d characters") % {"n": LABEL_MAX}
    if label and allowed_labels and label not in allowed_labels:
        return [], _("label %(label)s is not one of the list's labels") % {"label": label}
    quality_raw = next(
        (record[c] for c in QUALITY_COLUMNS if record.get(c) not in (None, "")), None
    )
    quality = quality_parse(quality_raw)
    if isinstance(quality, str):
        return [], quality
    rows: list[Row] = []
    for column in HASH_COLUMNS:
        raw = record.get(column)
        if raw is None or raw == "":
            continue
        value = hash_normalise(column, raw)
        if value is None:
            return [], _("%(column)s is not %(n)d hexadecimal characters") % {
                "column": column,
                "n": HEX_LENGTHS[column],
            }
        rows.append(Row(line, column, value, quality if column == HashType.PDQ else None, label))
    if not rows:
        return [], _("no hash in this row")
    if quality is not None and not any(r.hash_type == HashType.PDQ for r in rows):
        return [], _("a quality without a PDQ hash")
    return rows, ""


def _parse_csv(stream: IO[str], allowed_labels: frozenset[str]) -> Iterator[Row | Refusal]:
    reader = csv.reader(stream)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    if not any(h in HASH_COLUMNS for h in header):
        raise FileRefused(
            _("The header names no hash column (one of: %(c)s).") % {"c": ", ".join(HASH_COLUMNS)}
        )
    width = len(header)
    for cells in reader:
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != width:
            yield Refusal(
                line, _("%(n)d cells, the header has %(w)d") % {"n": len(cells), "w": width}
            )
            continue
        record = dict(zip(header, cells, strict=True))
        if "label" in record:  # rows_write neutralised a label that looked like a formula
            record["label"] = csv_cell_restore(record["label"])
        rows, why = _record_rows(line, record, allowed_labels)
        if why:
            yield Refusal(line, why)
        else:
            yield from rows


def _parse_jsonl(stream: IO[str], allowed_labels: frozenset[str]) -> Iterator[Row | Refusal]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError:
            yield Refusal(line, _("not a JSON object"))
            continue
        if not isinstance(record, dict):
            yield Refusal(line, _("not a JSON object"))
            continue
        record = {str(k).lower(): v for k, v in record.items()}
        if isinstance(record.get("pdq_quality", record.get("quality")), bool):
            yield Refusal(line, _("quality is not a whole number"))
            continue
        rows, why = _record_rows(line, record, allowed_labels)
        if why:
            yield Refusal(line, why)
        else:
            yield from rows


def _parse_hma(stream: IO[str], default_label: str) -> Iterator[Row | Refusal]:
    for line, text in enumerate(stream, start=1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        signal_type, _sep, signal = text.partition(" ")
        hash_type = HMA_TO_TYPE.get(signal_type.lower())
        if hash_type is None:
            yield Refusal(line, _("unknown signal type %(t)s") % {"t": signal_type[:40]})
            continue
        value = hash_normalise(hash_type, signal)
        if value is None:
            yield Refusal(
                line,
                _("%(column)s is not %(n)d hexadecimal characters")
                % {"column": signal_type[:40], "n": HEX_LENGTHS[hash_type]},
            )
            continue
        yield Row(line, hash_type, value, None, default_label)


def rows_parse(
    stream: IO[str], *, file_format: str, allowed_labels: Iterable[str] = ()
) -> Iterator[Row | Refusal]:
    """Every checked row and every refusal of a file, in file order."""
    labels = frozenset(allowed_labels)
    if file_format == "csv":
        return _parse_csv(stream, labels)
    if file_format == "jsonl":
        return _parse_jsonl(stream, labels)
    if file_format == "hma":
        return _parse_hma(stream, "")
    raise FileRefused(_("Unknown format %(f)s.") % {"f": file_format})


def rows_write(
    out: IO[str], entries: Iterable[tuple[str, str, int | None, str]], *, file_format: str
) -> tuple[int, int]:
    """Write ``(hash_type, value, quality, label)`` rows; returns (written, skipped).

    CSV and JSON lines carry every field and read back with ``rows_parse`` as they were;
    HMA carries the signal type and the hash only.
    """
    written = skipped = 0
    if file_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["md5", "sha1", "sha256", "pdq", "quality", "label"])
        for hash_type, value, quality, label in entries:
            # The label is free text; the rest are hex and a number. _record_rows undoes it.
            cells = ["", "", "", "", "" if quality is None else str(quality), csv_cell(label)]
            cells[HASH_COLUMNS.index(hash_type)] = value
            writer.writerow(cells)
            written += 1
    elif file_format == "jsonl":
        for hash_type, value, quality, label in entries:
            record: dict[str, Any] = {hash_type: value}
            if quality is not None:
                record["quality"] = quality
            if label:
                record["label"] = label
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            written += 1
    elif file_format == "hma":
        for hash_type, value, _quality, _label in entries:
            name = TYPE_TO_HMA.get(HashType(hash_type))
            if name is None:
                skipped += 1
                continue
            out.write(f"{name} {value}\n")
            written += 1
    else:
        raise FileRefused(_("Unknown format %(f)s.") % {"f": file_format})
    return written, skipped


def text_stream(binary: IO[bytes]) -> io.TextIOWrapper:
    """A UTF-8 text view of an uploaded or opened file (a BOM is skipped)."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
