"""The demo cases load through the real services and cover the states a demo needs."""

from __future__ import annotations

from django.utils import timezone

from cases import demo
from cases.models import Case, CaseStatus, CaseType
from cases.selectors import QueueTab, case_queue
from portal.accounts import demo as accounts_demo


def test_demo_cases_load_once_in_several_states(db):
    context: dict = {}
    accounts_demo.load_demo(context)
    demo.load_demo(context)
    cases = Case.objects.all()
    assert cases.count() == 13
    statuses = set(cases.values_list("status", flat=True))
    assert {
        CaseStatus.RECEIVED,
        CaseStatus.TRIAGE,
        CaseStatus.EMERGENCY_REVIEW,
        CaseStatus.LEGAL_REVIEW,
        CaseStatus.COLLECTING,
        CaseStatus.CLOSED,
        CaseStatus.WITHDRAWN,
        CaseStatus.REJECTED,
        CaseStatus.NEEDS_INFO,
    } <= statuses
    assert len({c.agency_id for c in cases if c.agency_id}) >= 2
    assert cases.filter(case_type=CaseType.CHILD_SAFETY, team__slug="child-safety").exists()
    assert cases.filter(team__slug="emea").count() == 3
    responder = context["staff"]["responder"]
    now = timezone.now()
    assert case_queue(responder, QueueTab.OVERDUE, now=now).exists()
    assert case_queue(responder, QueueTab.EMERGENCY, now=now).exists()
    assert case_queue(responder, QueueTab.DUE_SOON, now=now).exists()
    demo.load_demo(context)  # a second run adds nothing
    assert Case.objects.count() == 13
