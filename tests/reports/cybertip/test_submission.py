"""Filing end to end against the project's NCMEC test server (real HTTP, real database).

GIVEN a draft with files, WHEN the submission runs, THEN NCMEC has exactly one finished
report with every file and its details, and the case carries the receipt. The failure
paths: bad credentials, a 4100, a crash between upload and finish, expiry, retraction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from cases.models import DeadlineKind, DeadlineStatus, ProcessKind
from reports.cybertip.client import NcmecClient, endpoint
from reports.cybertip.models import ReportStatus, Step, StepOutcome
from reports.cybertip.services import (
    report_draft_create,
    report_file_add,
    report_file_view_record,
)
from reports.cybertip.submission import SubmissionRetry, submission_retract, submission_run
from reports.cybertip.xml import parse
from tests.reports.cybertip.helpers import file_input, report_input

pytestmark = pytest.mark.django_db


def _queued(case, actor, files=3):
    report = report_draft_create(case=case, actor=actor, data=report_input())
    rows = [report_file_add(report=report, actor=actor, upload=file_input(i)) for i in range(files)]
    report.status = ReportStatus.SUBMITTING
    report.save(update_fields=["status"])
    return report, rows


def test_a_report_with_three_files_is_filed_once_with_every_file(cs_case, child_safety, ncmec):
    report, files = _queued(cs_case, child_safety)
    report_file_view_record(file=files[0], actor=child_safety)

    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED

    report.refresh_from_db()
    stored = ncmec.reports[report.ncmec_report_id]
    assert stored.state == "finished"
    assert len(ncmec.reports) == 1
    assert {f.md5 for f in stored.files.values()} == {f.md5 for f in files}
    details = {
        parse(f.details).findtext("originalFileName"): parse(f.details)
        for f in stored.files.values()
    }
    assert details[files[0].original_name].findtext("fileViewedByEsp") == "true"
    assert details[files[1].original_name].findtext("fileViewedByEsp") == "false"
    steps = [s.step for s in report.steps.order_by("sent_at", "pk")]
    assert steps == [Step.SUBMIT, *[Step.UPLOAD] * 3, *[Step.FILEINFO] * 3, Step.FINISH]
    assert all(s.request_id and s.outcome == StepOutcome.OK for s in report.steps.all())
    assert str(report.ncmec_report_id) in report.receipt_xml
    assert report.archived_xml_sha256 and report.archived_pdf_sha256


def test_filing_starts_the_one_year_preservation_from_the_report(cs_case, child_safety, ncmec):
    report, _files = _queued(cs_case, child_safety, files=0)
    submission_run(report_id=report.pk)
    report.refresh_from_db()
    process = cs_case.processes.get(kind=ProcessKind.CYBERTIPLINE)
    assert process.reported_at == report.finished_at
    hold = cs_case.deadlines.get(kind=DeadlineKind.PRESERVATION_EXPIRY, status=DeadlineStatus.OPEN)
    assert abs(hold.due_at - (report.finished_at + timedelta(days=365))) < timedelta(days=2)
    assert cs_case.timeline.filter(params__ncmec=str(report.ncmec_report_id)).exists()


def test_wrong_credentials_stop_the_submission_with_the_answer(
    cs_case, child_safety, ncmec, settings
):
    settings.LIAISON_CYBERTIP_PASSWORD = "wrong"
    report, _files = _queued(cs_case, child_safety, files=1)
    assert submission_run(report_id=report.pk) == ReportStatus.FAILED
    report.refresh_from_db()
    assert "401" in report.last_answer and "2000" in report.last_answer
    assert ncmec.reports == {}


def test_a_validation_failure_4100_is_surfaced_not_retried(cs_case, child_safety, ncmec):
    ncmec.fail_next("submit", code=4100, http_status=400)
    report, _files = _queued(cs_case, child_safety, files=1)
    assert submission_run(report_id=report.pk) == ReportStatus.FAILED
    report.refresh_from_db()
    step = report.steps.get(step=Step.SUBMIT)
    assert (step.http_status, step.response_code, step.outcome) == (400, 4100, StepOutcome.REFUSED)
    assert "4100" in report.last_answer


def test_an_unknown_response_code_is_surfaced(cs_case, child_safety, ncmec):
    ncmec.fail_next("finish", code=1001, http_status=200)
    report, _files = _queued(cs_case, child_safety, files=1)
    assert submission_run(report_id=report.pk) == ReportStatus.FAILED
    from portal.audit.models import AccessEvent

    event = AccessEvent.objects.get(action="cybertip_failed")
    assert event.details["unknown_code"] is True and event.details["response_code"] == 1001


def test_a_server_error_is_retried_later_and_then_completes(cs_case, child_safety, ncmec):
    ncmec.fail_next("upload", code=1000, http_status=500)
    report, _files = _queued(cs_case, child_safety, files=2)
    with pytest.raises(SubmissionRetry):
        submission_run(report_id=report.pk)
    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    report.refresh_from_db()
    assert len(ncmec.reports[report.ncmec_report_id].files) == 2
    assert report.steps.filter(outcome=StepOutcome.TRANSIENT).count() == 1


class _CrashBefore(requests.adapters.HTTPAdapter):
    """The worker dies just before sending a request to ``path`` (once)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path, self.crashed = path, False

    def send(self, request, **kwargs):
        if not self.crashed and request.url.endswith(self.path):
            self.crashed = True
            raise KeyboardInterrupt("worker killed")
        return super().send(request, **kwargs)


class _LoseAnswerOf(requests.adapters.HTTPAdapter):
    """NCMEC receives and answers ``path`` but the worker dies before reading it (once)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path, self.crashed = path, False

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if not self.crashed and request.url.endswith(self.path):
            self.crashed = True
            raise KeyboardInterrupt("worker killed after NCMEC answered")
        return response


def _session(adapter):
    session = requests.Session()
    session.mount("http://", adapter)
    return session


def test_a_crash_between_upload_and_finish_resumes_without_repeating_a_step(
    cs_case, child_safety, ncmec
):
    report, _files = _queued(cs_case, child_safety, files=3)
    with pytest.raises(KeyboardInterrupt):
        submission_run(report_id=report.pk, session=_session(_CrashBefore("/finish")))
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN

    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    report.refresh_from_db()
    assert len(ncmec.reports) == 1
    assert len(ncmec.reports[report.ncmec_report_id].files) == 3
    counts = {
        s: report.steps.filter(step=s).count() for s in (Step.SUBMIT, Step.UPLOAD, Step.FILEINFO)
    }
    assert counts == {Step.SUBMIT: 1, Step.UPLOAD: 3, Step.FILEINFO: 3}


def test_a_lost_fileinfo_answer_is_never_repeated_the_report_goes_again(
    cs_case, child_safety, ncmec
):
    report, _files = _queued(cs_case, child_safety, files=2)
    with pytest.raises(KeyboardInterrupt):
        submission_run(report_id=report.pk, session=_session(_LoseAnswerOf("/fileinfo")))
    first = report.steps.get(step=Step.SUBMIT).ncmec_report_id

    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    report.refresh_from_db()
    assert ncmec.reports[first].state == "retracted"
    assert ncmec.reports[report.ncmec_report_id].state == "finished"
    assert report.attempt == 1
    pending = report.steps.get(outcome=StepOutcome.PENDING)
    assert (pending.step, pending.attempt) == (Step.FILEINFO, 0)
    finished = [r for r in ncmec.reports.values() if r.state == "finished"]
    assert len(finished) == 1


def test_a_lost_finish_answer_is_asked_again_and_counted_once(cs_case, child_safety, ncmec):
    report, _files = _queued(cs_case, child_safety, files=1)
    with pytest.raises(KeyboardInterrupt):
        submission_run(report_id=report.pk, session=_session(_LoseAnswerOf("/finish")))
    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    report.refresh_from_db()
    assert len(ncmec.reports) == 1
    assert "already finished" in report.last_answer


def test_an_expired_report_is_submitted_again_under_a_new_id(cs_case, child_safety, ncmec):
    report, _files = _queued(cs_case, child_safety, files=2)
    with pytest.raises(KeyboardInterrupt):
        submission_run(report_id=report.pk, session=_session(_CrashBefore("/finish")))
    first = report.steps.get(step=Step.SUBMIT).ncmec_report_id
    ncmec.advance(timedelta(hours=25))  # NCMEC discards it; our own clock has not moved

    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    report.refresh_from_db()
    assert first not in ncmec.reports
    assert report.ncmec_report_id != first
    assert report.steps.filter(outcome=StepOutcome.DISCARDED, response_code=5001).exists()
    assert len(ncmec.reports[report.ncmec_report_id].files) == 2


def test_retract_before_finish_cancels_the_report_at_ncmec(cs_case, child_safety, ncmec):
    report, _files = _queued(cs_case, child_safety, files=1)
    with pytest.raises(KeyboardInterrupt):
        submission_run(report_id=report.pk, session=_session(_CrashBefore("/finish")))
    report.refresh_from_db()
    assert submission_retract(report=report, actor=child_safety) == ReportStatus.RETRACTED
    assert ncmec.reports[report.ncmec_report_id].state == "retracted"
    assert submission_run(report_id=report.pk) == ReportStatus.RETRACTED  # the worker stops


def test_every_answer_carries_a_request_id_and_status_authenticates(ncmec):
    answer = NcmecClient().status()
    assert answer.ok and answer.request_id
    assert "esp-user" in answer.description
    bad = NcmecClient(password="nope").status()
    assert (bad.http_status, bad.code) == (401, 2000)


def test_production_is_refused_outside_a_production_install(settings):
    settings.LIAISON_CYBERTIP_ENVIRONMENT = "production"
    settings.LIAISON_CYBERTIP_ALLOW_PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        endpoint()
    settings.LIAISON_CYBERTIP_ENVIRONMENT = "local"
    settings.LIAISON_CYBERTIP_URL = "https://report.cybertip.org/ispws"
    with pytest.raises(ImproperlyConfigured):
        endpoint()
    settings.PRODUCTION = True
    settings.LIAISON_CYBERTIP_ENVIRONMENT = "production"
    assert endpoint() == "https://report.cybertip.org/ispws"
    settings.LIAISON_CYBERTIP_ALLOW_PRODUCTION = False
    with pytest.raises(ImproperlyConfigured):
        endpoint()


def test_incident_time_in_the_future_never_reaches_ncmec(cs_case, child_safety, ncmec):
    report, _files = _queued(cs_case, child_safety, files=0)
    type(report).objects.filter(pk=report.pk).update(incident_at=timezone.now() + timedelta(days=3))
    assert submission_run(report_id=report.pk) == ReportStatus.FAILED
    report.refresh_from_db()
    assert "incident_at" in report.last_answer
    assert ncmec.reports == {}


@pytest.mark.django_db(transaction=True)
def test_submit_queues_a_celery_task_that_files_as_the_system_actor(
    cs_case, child_safety, ncmec, celery_worker_factory, settings, media_root
):
    """GIVEN a real worker WHEN an analyst submits THEN the worker files the report."""
    from portal.audit.models import AccessEvent
    from reports.cybertip.services import report_submit_request
    from tests.celery_harness import wait_for

    worker = celery_worker_factory(
        settings={
            "LIAISON_CYBERTIP_URL": ncmec.base_url,
            "LIAISON_CYBERTIP_USERNAME": "esp-user",
            "LIAISON_CYBERTIP_PASSWORD": "esp-secret",
            "MEDIA_ROOT": str(media_root),
        }
    )
    worker.wait_ready()
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    report_file_add(report=report, actor=child_safety, upload=file_input(1))
    report_submit_request(report=report, actor=child_safety)

    wait_for(
        lambda: type(report).objects.get(pk=report.pk).status == ReportStatus.FINISHED, timeout=60
    )
    filed = AccessEvent.objects.get(action="cybertip_filed")
    assert filed.actor_label == "system.cybertip-submitter"
    assert len(ncmec.reports) == 1


def test_submissions_are_counted_by_outcome_for_the_metrics(cs_case, child_safety, ncmec):
    from prometheus_client import REGISTRY

    def count(outcome: str) -> float:
        name = "liaison_cybertip_submissions_total"
        return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0

    accepted, rejected = count("accepted"), count("rejected")
    report, _files = _queued(cs_case, child_safety, files=0)
    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    assert count("accepted") == accepted + 1

    ncmec.fail_next("submit", code=4100, http_status=400)
    report, _files = _queued(cs_case, child_safety, files=0)
    assert submission_run(report_id=report.pk) == ReportStatus.FAILED
    assert count("rejected") == rejected + 1
