"""A package whose render task was lost is queued again; two builds never run at once.

GIVEN a released production whose render message never reached a worker (the broker was
down) or died with one (SIGKILL; Redis returns it only after an hour)
WHEN beat's redrive looks, twenty minutes after the package was last queued
THEN it is queued again, once per look-back period; and a second build started while one
runs does nothing, so there is one signed PDF, the one in the ZIP.
"""

from __future__ import annotations

import builtins
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from portal.advisory import DISCLOSURE_PACKAGE
from portal.audit.models import AccessEvent
from reports.disclosures import tasks
from reports.disclosures.models import DisclosurePackage, PackageStatus
from reports.disclosures.package import package_build
from reports.disclosures.redrive import packages_redrive
from tests.factories import verified_client
from tests.reports.disclosures.helpers import released

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_renders(monkeypatch):
    """The ids the code queues a render for (the broker itself is not the subject here)."""
    calls: list[int] = []
    monkeypatch.setattr(tasks, "render_enqueue", calls.append)
    return calls


def aged(disclosure, status: str, minutes: int) -> None:
    DisclosurePackage.objects.filter(pk=disclosure.pk).update(
        status=status, touched_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_a_package_stranded_in_flight_is_queued_again_once(
    collecting_case, responder, legal, queued_renders, django_capture_on_commit_callbacks
):
    disclosure = released(collecting_case, responder, legal)
    queued_renders.clear()  # the release's own render
    with django_capture_on_commit_callbacks(execute=True):
        assert packages_redrive() == []  # just released: its task may simply be on its way
    aged(disclosure, PackageStatus.QUEUED, minutes=25)
    with django_capture_on_commit_callbacks(execute=True):
        assert packages_redrive() == [disclosure.pk]
    assert queued_renders == [disclosure.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert packages_redrive() == []  # stamped: not again at the next minute's look
    assert queued_renders == [disclosure.pk]


@pytest.mark.parametrize(
    ("status", "redriven"),
    [
        (PackageStatus.RENDERING, True),  # a killed worker's build
        (PackageStatus.DONE, False),
        (PackageStatus.FAILED, False),  # a person fixes the cause and renders again
    ],
)
def test_which_packages_are_stranded(
    collecting_case, responder, legal, queued_renders, status, redriven
):
    disclosure = released(collecting_case, responder, legal)
    aged(disclosure, status, minutes=25)
    assert packages_redrive() == ([disclosure.pk] if redriven else [])


def test_a_second_build_while_one_runs_does_nothing(collecting_case, responder, legal):
    disclosure = released(collecting_case, responder, legal)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        # GIVEN another worker building this package (it holds the package's lock)
        other.execute("SELECT pg_advisory_lock(%s, %s)", [DISCLOSURE_PACKAGE, disclosure.pk])
        # WHEN a redriven message runs meanwhile, THEN it renders and signs nothing
        package, times = package_build(disclosure_id=disclosure.pk)
        assert package.status == PackageStatus.QUEUED
        assert not package.pdf_sha256 and times.sign == 0
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [DISCLOSURE_PACKAGE, disclosure.pk])
    # and once the other run is gone, the package is built
    package, _times = package_build(disclosure_id=disclosure.pk)
    assert package.status == PackageStatus.DONE and package.pdf_sha256


def test_render_again_from_the_case_page_queues_and_stamps(
    collecting_case, responder, legal, queued_renders, django_capture_on_commit_callbacks
):
    disclosure = released(collecting_case, responder, legal)
    queued_renders.clear()
    aged(disclosure, PackageStatus.FAILED, minutes=90)
    url = f"/cases/{collecting_case.reference}/disclosures/{disclosure.pk}/render/"
    client = verified_client(responder)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert queued_renders == [disclosure.pk]
    package = DisclosurePackage.objects.get(pk=disclosure.pk)
    assert timezone.now() - package.touched_at < timedelta(minutes=1)
    assert AccessEvent.objects.filter(
        action="disclosure_render_again", object_id=str(disclosure.pk)
    ).exists()

    aged(disclosure, PackageStatus.DONE, minutes=1)
    assert client.post(url).status_code == 404  # a finished package is not rendered again


def test_beat_runs_the_redrive_every_minute():
    from django.conf import settings

    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["disclosure-packages-redrive"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks


def test_a_storage_error_fails_at_once_and_says_so(
    collecting_case, responder, legal, settings, tmp_path
):
    """An OSError that is not the network (here the storage is a file, not a folder) is
    not retried for minutes while the page says "rendering": it is shown failed."""
    disclosure = released(collecting_case, responder, legal)
    not_a_folder = tmp_path / "media-is-a-file"
    not_a_folder.write_bytes(b"")
    settings.MEDIA_ROOT = not_a_folder
    result = tasks.disclosure_render.apply(args=[disclosure.pk])
    assert result.failed()
    package = DisclosurePackage.objects.get(pk=disclosure.pk)
    assert package.status == PackageStatus.FAILED
    assert issubclass(getattr(builtins, package.error), OSError)  # e.g. NotADirectoryError
    assert package.attempts == 1


def test_a_timestamp_authority_still_down_after_the_retries_is_shown_failed(
    collecting_case, responder, legal, settings
):
    disclosure = released(collecting_case, responder, legal)
    settings.LIAISON_DISCLOSURE_TSA_URL = "http://127.0.0.1:9/"  # nothing listens there
    result = tasks.disclosure_render.apply(args=[disclosure.pk])  # eager: retries at once
    assert result.failed()
    package = DisclosurePackage.objects.get(pk=disclosure.pk)
    assert package.status == PackageStatus.FAILED
    assert package.error == "TimestampRequestError"
    assert package.attempts == 1 + tasks.disclosure_render.max_retries
