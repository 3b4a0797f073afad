"""The hash-list pages: who sees them, and an import run by a real Celery worker with its
progress readable by the page's progress bar."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.matching.models import HashEntry, HashList, ImportJob
from tests.celery_harness import wait_for
from tests.factories import verified_client
from tests.reports.matching.conftest import make_list

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["responder", "legal", "auditor"])
def test_only_child_safety_staff_see_hash_lists(request, persona, analyst):
    make_list()
    outsider = verified_client(request.getfixturevalue(persona))
    assert outsider.get("/matching/").status_code == 404
    assert outsider.get("/matching/lists/ncmec/").status_code == 404
    assert outsider.get("/matching/lists/ncmec/export.csv").status_code == 404
    insider = verified_client(analyst)
    page = insider.get("/matching/")
    assert page.status_code == 200 and b"ncmec" in page.content


@pytest.mark.django_db
def test_export_download_is_the_import_format(analyst, tmp_path):
    from tests.reports.matching.conftest import add_entries

    add_entries(make_list(), [("md5", MD5, None, "A1")])
    response = verified_client(analyst).get("/matching/lists/ncmec/export.csv")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "md5,sha1,sha256,pdq,quality,label",
        f"{MD5},,,,,A1",
    ]


def test_an_uploaded_file_is_imported_by_a_worker_with_progress(
    celery_worker_factory, analyst, settings
):
    # GIVEN a list and a file with 2,000 hashes and one bad row
    make_list()
    rows = "".join(f"{i:032x},A1\n" for i in range(2000))
    content = f"md5,label\n{rows}nothex,A1\n".encode()
    client = verified_client(analyst)
    worker = celery_worker_factory(
        settings={
            "MEDIA_ROOT": settings.MEDIA_ROOT,
            "LIAISON_MATCH_INDEX_DIR": settings.LIAISON_MATCH_INDEX_DIR,
        }
    )
    # WHEN an analyst uploads it on the list's page
    response = client.post(
        "/matching/lists/ncmec/",
        {"file": SimpleUploadedFile("hashes.csv", content), "file_format": "auto"},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    # THEN a worker imports it, and the progress the page polls says so
    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE,
        timeout=240,  # a worker start-up on a loaded two-core machine
        what="the import job",
    )
    progress = client.get(f"/matching/imports/{job.pk}/progress").json()
    assert progress["percent"] == 100 and progress["added"] == 2000 and progress["refused"] == 1
    assert HashEntry.objects.filter(hash_list=HashList.objects.get()).count() == 2000
    job.refresh_from_db()
    assert job.refused_lines == [[2002, "md5 is not 32 hexadecimal characters"]]
    assert not job.file  # the upload was a carrier; the entries are the record
    page = client.get("/matching/lists/ncmec/")
    assert b"<progress" in page.content and b"md5: 2000" in page.content
    worker.stop()


@pytest.mark.django_db
def test_the_case_page_lists_matched_uploads_and_the_analyst_decides(analyst, child_safety_team):
    from cases.models import Case
    from portal.audit.models import AccessEvent
    from reports.matching.matching import Upload, uploads_match
    from reports.matching.models import AllowedHash, MatchedItem
    from tests.reports.matching.conftest import add_entries

    add_entries(make_list(labels=["A1"]), [("md5", MD5, None, "A1")])
    outcome = uploads_match(
        uploads=[Upload(account_id="user-3", md5=MD5, ip="192.0.2.44")], credential=None
    )[0]
    case = Case.objects.get(reference=outcome.case_reference)
    client = verified_client(analyst)
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    assert b'data-testid="matching-panel"' in page.content and b"192.0.2.44" in page.content
    # a false positive needs a reason; with one, the hash is allow-listed
    item = MatchedItem.objects.get()
    client.post(f"/matching/items/{item.pk}/review", {"decision": "false_positive"})
    assert MatchedItem.objects.get().status == "pending"
    client.post(
        f"/matching/items/{item.pk}/review",
        {"decision": "false_positive", "reason": "the empty file"},
    )
    assert MatchedItem.objects.get().status == "false_positive"
    assert AllowedHash.objects.get().value == MD5
    assert AccessEvent.objects.filter(action="match_item_review", actor=analyst).exists()
