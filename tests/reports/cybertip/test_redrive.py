"""Reports whose filing task was lost are queued again; two runs never file one at once."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from portal.advisory import CYBERTIP_FILING
from reports.cybertip.models import CyberTipReport, ReportStatus
from reports.cybertip.redrive import submissions_stranded
from reports.cybertip.services import report_draft_create, report_file_add
from reports.cybertip.submission import SubmissionRetry, submission_run
from tests.reports.cybertip.helpers import file_input, report_input

pytestmark = pytest.mark.django_db


def queued(case, actor, *, minutes_ago: int) -> CyberTipReport:
    report = report_draft_create(case=case, actor=actor, data=report_input())
    report_file_add(report=report, actor=actor, upload=file_input(1))
    CyberTipReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.SUBMITTING, queued_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return report


def test_a_report_queued_long_ago_without_a_step_is_stranded(cs_case, child_safety, ncmec):
    # GIVEN a report queued 20 minutes ago whose task never ran
    report = queued(cs_case, child_safety, minutes_ago=20)
    # THEN the redrive finds it; once filed it is no longer in flight and not found
    assert submissions_stranded() == [report.pk]
    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    assert submissions_stranded() == []


def test_a_report_with_a_recent_step_or_just_queued_is_left_to_its_task(
    cs_case, child_safety, ncmec, settings
):
    report = queued(cs_case, child_safety, minutes_ago=1)
    assert submissions_stranded() == []  # queued a minute ago: its task has not run yet
    ncmec.fail_next("upload", code=1000, http_status=503)
    CyberTipReport.objects.filter(pk=report.pk).update(
        queued_at=timezone.now() - timedelta(minutes=20)
    )
    with pytest.raises(SubmissionRetry):
        submission_run(report_id=report.pk)  # a step now, and the task's retry will follow
    assert submissions_stranded() == []
    settings.LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS = 0
    assert submissions_stranded(now=timezone.now() + timedelta(seconds=1)) == [report.pk]


def test_a_run_while_another_files_the_report_sends_nothing(cs_case, child_safety, ncmec):
    # GIVEN another worker filing the report (it holds the report's lock)
    report = queued(cs_case, child_safety, minutes_ago=20)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [CYBERTIP_FILING, report.pk])
        # WHEN a redriven message runs meanwhile
        assert submission_run(report_id=report.pk) == ReportStatus.SUBMITTING
        # THEN it sent NCMEC nothing
        assert ncmec.reports == {}
        # the other run ends (unlocked at once: a closed session's lock lingers until its
        # backend exits, which under load is after the next line runs)
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [CYBERTIP_FILING, report.pk])
    # and once the other run is gone, the report is filed once
    assert submission_run(report_id=report.pk) == ReportStatus.FINISHED
    assert len(ncmec.reports) == 1
