"""Who may write reports, one report per reported user, truthful review flags."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.errors import CaseNotFound
from portal.audit.models import AccessEvent
from reports.cybertip.build import reviews_for
from reports.cybertip.models import CyberTipReport, ReportStatus
from reports.cybertip.services import (
    cybertip_draft_for_user,
    report_draft_create,
    report_file_add,
    report_file_classify,
    report_file_view_record,
)
from reports.cybertip.submission import submitter
from tests.cases.factories import CaseFactory
from tests.reports.cybertip.helpers import file_input, report_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["responder", "legal", "auditor"])
def test_only_child_safety_and_supervisors_draft_reports(request, cs_case, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(CaseNotFound):
        report_draft_create(case=cs_case, actor=user, data=report_input())
    assert not CyberTipReport.objects.exists()
    assert AccessEvent.objects.filter(outcome="denied", actor=user).exists()


def test_a_supervisor_may_draft(cs_case, supervisor):
    assert report_draft_create(case=cs_case, actor=supervisor, data=report_input()).pk


def test_a_request_case_never_gets_a_cybertipline_report(child_safety, supervisor):
    request_case = CaseFactory()
    with pytest.raises(CaseNotFound):
        report_draft_create(case=request_case, actor=supervisor, data=report_input())


def test_a_new_incident_on_a_user_with_an_open_draft_adds_to_it(cs_case, child_safety):
    first = cybertip_draft_for_user(
        case=cs_case, reported_user_id="u-77", actor=child_safety, files=[file_input(1)]
    )
    second = cybertip_draft_for_user(
        case=cs_case, reported_user_id="u-77", actor=child_safety, files=[file_input(2)]
    )
    assert first.created and not second.created
    assert second.report.pk == first.report.pk
    assert second.report.files.count() == 2
    assert CyberTipReport.objects.filter(reported_user_key="u-77").count() == 1


def test_a_later_incident_on_a_reported_user_is_a_follow_up_citing_the_report(
    cs_case, child_safety
):
    earlier = cybertip_draft_for_user(case=cs_case, reported_user_id="u-9", actor=child_safety)
    CyberTipReport.objects.filter(pk=earlier.report.pk).update(
        status=ReportStatus.FINISHED, ncmec_report_id=4564654
    )
    later = cybertip_draft_for_user(
        case=cs_case, reported_user_id="u-9", actor=child_safety, files=[file_input(3)]
    )
    assert later.created and later.follow_up_of == (4564654,)
    assert later.report.prior_report_ids == [4564654]


def test_a_second_draft_for_the_same_user_is_refused(cs_case, child_safety):
    report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    with pytest.raises(ValidationError) as caught:
        report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    assert "persons" in caught.value.message_dict


def test_a_file_counts_as_viewed_only_after_a_named_person_viewed_that_file(cs_case, child_safety):
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    seen = report_file_add(report=report, actor=child_safety, upload=file_input(1))
    unseen = report_file_add(report=report, actor=child_safety, upload=file_input(2))
    # Classifying, adding and a system actor's touch are not views.
    report_file_classify(
        file=unseen, actor=child_safety, annotations=["generativeAi"], industry_classification="A2"
    )
    with pytest.raises(ValidationError):
        report_file_view_record(file=unseen, actor=submitter())
    report_file_view_record(file=seen, actor=child_safety)
    reviewed = reviews_for([report])[report.pk]
    assert reviewed.files == {seen.pk}
    event = AccessEvent.objects.get(action="cybertip_file_view")
    assert event.actor == child_safety and event.object_id == str(seen.pk)


def test_the_same_file_twice_is_refused(cs_case, child_safety):
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    report_file_add(report=report, actor=child_safety, upload=file_input(1))
    with pytest.raises(ValidationError):
        report_file_add(report=report, actor=child_safety, upload=file_input(1))


def test_files_are_hashed_and_stored_under_their_sha256(cs_case, child_safety, media_root):
    import hashlib

    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    upload = file_input(5)
    row = report_file_add(report=report, actor=child_safety, upload=upload)
    assert row.sha256 == hashlib.sha256(upload.content).hexdigest()
    assert row.md5 == hashlib.md5(upload.content).hexdigest()  # noqa: S324 (NCMEC's hash)
    assert (media_root / row.file.name).read_bytes() == upload.content


def test_the_database_keeps_reported_content_and_filed_reports(cs_case, child_safety):
    from django.db import DatabaseError, transaction

    from reports.cybertip.models import ReportFile

    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    row = report_file_add(report=report, actor=child_safety, upload=file_input(1))
    with pytest.raises(DatabaseError), transaction.atomic():
        ReportFile.objects.filter(pk=row.pk).update(sha256="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        ReportFile.objects.filter(pk=row.pk).delete()
    CyberTipReport.objects.filter(pk=report.pk).update(status=ReportStatus.FINISHED)
    with pytest.raises(DatabaseError), transaction.atomic():
        CyberTipReport.objects.filter(pk=report.pk)._raw_delete("default")
    assert CyberTipReport.objects.filter(pk=report.pk).exists()
