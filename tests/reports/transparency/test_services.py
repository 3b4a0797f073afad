"""A report frozen: stored with its inputs and hash, reproducible, immutable, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from portal.audit.models import AccessEvent
from reports.transparency.figures import ReportOptions
from reports.transparency.models import ReportKind, TransparencyReport
from reports.transparency.periods import half_year
from reports.transparency.services import (
    canonical_json,
    figures_hash,
    report_generate,
    report_publish,
    report_reproduce,
)
from tests.reports.transparency.conftest import la, request

pytestmark = pytest.mark.django_db


def generate(actor, **options):
    return report_generate(
        kind=ReportKind.LE_REQUESTS,
        period=half_year(2026, 1),
        options=ReportOptions(**options),
        actor=actor,
    )


def test_generation_freezes_figures_with_period_options_and_hash(report_data, legal):
    report = generate(legal, band_below=3)
    assert report.period_label == "2026-H1"
    assert str(report.period_first) == "2026-01-01" and str(report.period_last) == "2026-06-30"
    assert report.time_zone == "America/Los_Angeles"
    assert report.options == {"band_below": 3, "other_below": 0}
    assert report.figures["totals"]["requests"] == 6
    assert report.figures_sha256 == figures_hash(report.figures)
    assert len(report.figures_sha256) == 64
    event = AccessEvent.objects.get(action="transparency_generate")
    assert event.actor == legal and event.details["sha256"] == report.figures_sha256


def test_same_inputs_reproduce_the_same_hash_until_the_data_changes(report_data, legal):
    report = generate(legal)
    assert report_reproduce(report=report).matches
    request(
        kind="us_subpoena", country="US", received=la(2026, 5, 5, 10), targets=1
    )  # recorded late
    again = report_reproduce(report=report)
    assert not again.matches and again.sha256 != report.figures_sha256


def test_frozen_figures_cannot_be_changed_or_deleted(report_data, legal):
    report = generate(legal)
    with pytest.raises(DatabaseError), transaction.atomic():
        TransparencyReport.objects.filter(pk=report.pk).update(figures={"totals": {}})
    with pytest.raises(DatabaseError), transaction.atomic():
        TransparencyReport.objects.filter(pk=report.pk).delete()
    report.refresh_from_db()
    assert report.figures_sha256 == figures_hash(report.figures)


def test_publication_is_once_and_audited(report_data, legal, supervisor):
    report = generate(legal)
    report_publish(report=report, actor=supervisor)
    report.refresh_from_db()
    assert report.published_by == supervisor and report.published_at is not None
    with pytest.raises(ValidationError):
        report_publish(report=report, actor=legal)
    with pytest.raises(DatabaseError), transaction.atomic():
        TransparencyReport.objects.filter(pk=report.pk).update(published_by=legal)
    assert AccessEvent.objects.filter(action="transparency_publish", actor=supervisor).count() == 1


def test_a_second_report_of_a_published_period_cannot_be_published(report_data, legal):
    first, second = generate(legal), generate(legal)
    report_publish(report=first, actor=legal)
    with pytest.raises(ValidationError):
        report_publish(report=second, actor=legal)


def test_auditor_may_see_figures_but_not_freeze_or_publish(report_data, auditor, legal):
    with pytest.raises(PermissionDenied):
        generate(auditor)
    report = generate(legal)
    with pytest.raises(PermissionDenied):
        report_publish(report=report, actor=auditor)
    assert AccessEvent.objects.filter(actor=auditor, outcome="denied").count() == 2
    assert TransparencyReport.objects.count() == 1


def test_frozen_figures_do_not_depend_on_the_viewers_language(report_data, legal):
    from django.utils import translation

    with translation.override("de"):
        report = generate(legal)
    assert report.figures["by_kind"][0]["label"] == "US subpoena (18 USC 2703(c)(2))"
    assert b'"name":"United States"' in canonical_json(report.figures)


def test_the_workflow_records_each_outcome_and_keeps_the_first_disclosure(supervisor):
    from cases.models import CaseStatus
    from cases.workflow import case_transition
    from reports.transparency.models import CaseOutcome
    from tests.cases.factories import CaseFactory

    case = CaseFactory(status=CaseStatus.READY_TO_DISCLOSE)
    case_transition(case=case, to_status=CaseStatus.DISCLOSED, actor=supervisor)
    outcome = CaseOutcome.objects.get(case=case)
    assert outcome.outcome == "disclosed" and outcome.disclosed_at is not None
    first = outcome.disclosed_at
    case.refresh_from_db()
    case_transition(case=case, to_status=CaseStatus.CLOSED, actor=supervisor)
    outcome.refresh_from_db()
    assert (outcome.outcome, outcome.disclosed_at) == ("disclosed", first)  # closing keeps it

    other = CaseFactory(status=CaseStatus.TRIAGE)
    case_transition(
        case=other, to_status=CaseStatus.REJECTED, actor=supervisor, reason="No legal basis."
    )
    assert CaseOutcome.objects.get(case=other).outcome == "rejected"
    assert CaseOutcome.objects.get(case=other).disclosed_at is None
