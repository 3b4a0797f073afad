"""A released production that left records out for a narrowing reason makes the request
"narrowed" in the transparency report, carried by the move to disclosed (CaseOutcome)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseStatus, DataCategory
from cases.workflow import case_transition
from reports.disclosures.models import NotProducedReason
from reports.transparency.figures import ReportOptions, le_request_figures
from reports.transparency.models import CaseOutcome
from reports.transparency.periods import period_parse
from tests.reports.disclosures.helpers import released

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("reason", "narrowed"),
    [
        (NotProducedReason.OUT_OF_SCOPE, 1),  # the provider produced less than asked
        (NotProducedReason.REJECTED_IN_PART, 1),
        (NotProducedReason.NOT_RETAINED, 0),  # nothing more existed: not narrowing
        (NotProducedReason.NONE, 0),
    ],
)
def test_a_narrowing_reason_counts_the_request_as_narrowed(
    collecting_case, responder, legal, reason, narrowed
):
    # GIVEN a production of subscriber records only, the login IPs left out for `reason`
    released(
        collecting_case,
        responder,
        legal,
        categories=[DataCategory.SUBSCRIBER],
        not_produced_categories=[DataCategory.LOGIN_IP] if reason else [],
        not_produced_reason=reason,
        explanation="Login records were left out." if reason else "",
    )
    # WHEN the case, ready, moves to disclosed
    collecting_case.refresh_from_db()
    collecting_case.status = CaseStatus.READY_TO_DISCLOSE
    collecting_case.save()
    case_transition(case=collecting_case, to_status=CaseStatus.DISCLOSED, actor=responder)

    # THEN its outcome and the report say so (hand count: 1 request, 1 produced)
    assert CaseOutcome.objects.get(case=collecting_case).narrowed is bool(narrowed)
    today = timezone.localdate()
    period = period_parse(first=(today - timedelta(days=10)).isoformat(), last=today.isoformat())
    totals = le_request_figures(period=period, options=ReportOptions(), trend=False)["totals"]
    assert (totals["requests"], totals["produced"], totals["narrowed"]) == (1, 1, narrowed)
