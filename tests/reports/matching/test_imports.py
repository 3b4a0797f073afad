"""Importing and exporting hash lists: CSV, JSON lines and HMA's file exchange format."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from portal.audit.models import AccessEvent
from reports.matching import formats
from reports.matching.imports import hash_list_import
from reports.matching.models import HashEntry, HashList
from reports.matching.services import hash_list_ensure, hash_list_export

pytestmark = pytest.mark.django_db

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_csv_import_reports_added_kept_and_refused_lines(tmp_path):
    # GIVEN a CSV with two good rows and two bad ones
    path = tmp_path / "list.csv"
    path.write_text(f"md5,pdq,quality,label\n{MD5},,,A1\n,{PDQ},90,A2\nzz,,,A1\n,{PDQ[:10]},,\n")
    # WHEN it is imported
    out = run("import_hashes", str(path), "--list", "ncmec", "--labels", "A1,A2,B1,B2")
    # THEN the good rows are in, the bad ones named by line
    assert "line 4: refused: md5 is not 32 hexadecimal characters" in out
    assert "line 5: refused: pdq is not 64 hexadecimal characters" in out
    assert "added 2, updated 0, kept 0, removed 0, refused 2" in out
    entries = {(e.hash_type, e.value, e.quality, e.label) for e in HashEntry.objects.all()}
    assert entries == {("md5", MD5, None, "A1"), ("pdq", PDQ, 90, "A2")}
    assert AccessEvent.objects.filter(action="hash_list_import").count() == 1


def test_reimport_is_idempotent_and_incremental(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(f"md5,label\n{MD5},A1\n")
    run("import_hashes", str(path), "--list", "ncmec")
    revision = HashList.objects.get().revision
    # the same file again: nothing changes, not even the revision
    assert "added 0, updated 0, kept 1" in run("import_hashes", str(path), "--list", "ncmec")
    assert HashList.objects.get().revision == revision
    # a new row and a changed label: one added, one updated
    path.write_text(f"md5,sha256,label\n{MD5},,B1\n,{SHA256},A1\n")
    out = run("import_hashes", str(path), "--list", "ncmec")
    assert "added 1, updated 1, kept 0" in out
    assert HashEntry.objects.get(hash_type="md5").label == "B1"
    assert HashEntry.objects.count() == 2
    assert HashList.objects.get().revision > revision


def test_row_with_two_hashes_gives_two_entries_and_one_bad_cell_refuses_the_row(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(f"md5,sha256\n{MD5},{SHA256}\n{MD5},nothex\n")
    out = run("import_hashes", str(path), "--list", "l")
    assert "line 3: refused: sha256 is not 64 hexadecimal characters" in out
    assert sorted(HashEntry.objects.values_list("hash_type", flat=True)) == ["md5", "sha256"]


def test_labels_outside_the_lists_vocabulary_and_bad_quality_are_refused(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text(
        json.dumps({"pdq": PDQ, "quality": 101})
        + "\n"
        + json.dumps({"md5": MD5, "label": "Z9"})
        + "\n"
        + "not json\n"
        + json.dumps({"md5": MD5, "quality": 50})
        + "\n"
        + json.dumps({"sha256": SHA256, "label": "A1"})
        + "\n"
    )
    out = run("import_hashes", str(path), "--list", "l", "--labels", "A1,A2")
    assert "line 1: refused: quality must be between 0 and 100" in out
    assert "line 2: refused: label Z9 is not one of the list's labels" in out
    assert "line 3: refused: not a JSON object" in out
    assert "line 4: refused: a quality without a PDQ hash" in out
    assert "added 1" in out and "refused 4" in out


def test_strict_import_writes_nothing_when_a_row_is_refused(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(f"md5\n{MD5}\nbad\n")
    with pytest.raises(CommandError):
        run("import_hashes", str(path), "--list", "l", "--strict")
    assert not HashEntry.objects.exists()


def test_a_header_without_hash_column_refuses_the_file(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("name,label\nx,A1\n")
    with pytest.raises(CommandError, match="header names no hash column"):
        run("import_hashes", str(path), "--list", "l")
    assert not HashEntry.objects.exists()


def test_a_failing_merge_leaves_the_list_as_it_was(tmp_path, monkeypatch):
    # GIVEN a list with one entry
    hash_list, _ = hash_list_ensure(name="l", actor=None, actor_label="test")
    hash_list_import(
        hash_list=hash_list,
        stream=io.StringIO(f"md5\n{MD5}\n"),
        file_format="csv",
        actor=None,
        actor_label="test",
    )
    # WHEN an import fails half-way through its transaction (the audit write raises)
    import reports.matching.imports as imports

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "access_event_record", boom)
    with pytest.raises(RuntimeError):
        hash_list_import(
            hash_list=hash_list,
            stream=io.StringIO(f"sha256\n{SHA256}\n"),
            file_format="csv",
            actor=None,
            actor_label="test",
            replace=True,
        )
    # THEN nothing of it was kept: not the new row, and the old one was not removed
    assert list(HashEntry.objects.values_list("value", flat=True)) == [MD5]


def test_replace_removes_entries_the_file_no_longer_has(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(f"md5,sha256\n{MD5},{SHA256}\n")
    run("import_hashes", str(path), "--list", "l")
    path.write_text(f"sha256\n{SHA256}\n")
    out = run("import_hashes", str(path), "--list", "l", "--replace")
    assert "removed 1" in out
    assert list(HashEntry.objects.values_list("hash_type", flat=True)) == ["sha256"]


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_export_round_trip(tmp_path, file_format):
    # GIVEN a list with every kind of hash
    source = tmp_path / "in.csv"
    sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
    source.write_text(
        f"md5,sha1,sha256,pdq,quality,label\n{MD5},,,,,A1\n,{sha1},,,,\n,,{SHA256},,,B2\n"
        f",,,{PDQ},73,A2\n"
    )
    run("import_hashes", str(source), "--list", "a")
    # WHEN it is exported and imported into another list
    exported = tmp_path / f"out.{file_format}"
    call_command(
        "export_hashes", str(exported), "--list", "a", "--format", file_format, stderr=io.StringIO()
    )
    out = run("import_hashes", str(exported), "--list", "b")
    # THEN the second list holds exactly the same entries
    assert "added 4" in out and "refused 0" in out

    def entries(name):
        return set(
            HashEntry.objects.filter(hash_list__name=name).values_list(
                "hash_type", "value", "quality", "label"
            )
        )

    assert entries("a") == entries("b")


def test_hma_file_exchange_format_both_ways(tmp_path):
    # HMA's LocalFileSignalExchangeAPI: "<signal type> <value>" per line
    source = tmp_path / "hma.txt"
    source.write_text(f"pdq {PDQ}\nvideo_md5 {MD5}\nphoto_thing abc\npdq 1234\n")
    out = run("import_hashes", str(source), "--list", "from-hma")
    assert "line 3: refused: unknown signal type photo_thing" in out
    assert "line 4: refused" in out
    assert "added 2" in out
    # a SHA-1 has no HMA signal type: skipped on export and counted
    HashEntry.objects.create(
        hash_list=HashList.objects.get(),
        hash_type="sha1",
        value="a9993e364706816aba3e25717850c26c9cd0d89d",
    )
    buffer = io.StringIO()
    written, skipped = hash_list_export(
        hash_list=HashList.objects.get(), out=buffer, file_format="hma", actor_label="test"
    )
    assert (written, skipped) == (2, 1)
    assert sorted(buffer.getvalue().splitlines()) == [f"pdq {PDQ}", f"video_md5 {MD5}"]


def test_format_guess_by_extension_and_content():
    assert formats.format_guess("x.csv", "") == "csv"
    assert formats.format_guess("x", '{"md5": "…"}') == "jsonl"
    assert formats.format_guess("x", f"pdq {PDQ}") == "hma"
    assert formats.format_guess("x", "md5,label") == "csv"


def test_a_formula_label_is_text_in_the_csv_export_and_imports_back_as_it_was(tmp_path):
    formula = "=cmd|' /C calc'!A0"
    # GIVEN a list whose entry carries a label that looks like a DDE formula
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"md5": MD5, "label": formula}) + "\n")
    run("import_hashes", str(source), "--list", "a")
    # WHEN it is exported as CSV
    exported = tmp_path / "out.csv"
    call_command("export_hashes", str(exported), "--list", "a", "--format", "csv")
    # THEN the spreadsheet sees text, and an import gives back the very label
    [row] = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert row["label"] == "'" + formula
    run("import_hashes", str(exported), "--list", "b")
    assert HashEntry.objects.get(hash_list__name="b").label == formula
