"""The demo loads drafted, filed and follow-up reports through the real services."""

from __future__ import annotations

from cases import demo as cases_demo
from portal.accounts import demo as accounts_demo
from reports.cybertip import demo
from reports.cybertip.models import CyberTipReport, ReportStatus


def test_demo_reports_load_once_drafted_filed_and_follow_up(db):
    context: dict = {}
    accounts_demo.load_demo(context)
    # Only what this app needs of the cases demo: incidents go to the child-safety team.
    cases_demo.routing_rules_ensure(context["teams"])
    demo.load_demo(context)
    reports = CyberTipReport.objects.all()
    filed = reports.get(status=ReportStatus.FINISHED)
    assert filed.ncmec_report_id and filed.files.count() == 0
    follow_up = reports.get(status=ReportStatus.DRAFT, reported_user_key="200045678")
    assert follow_up.prior_report_ids == [filed.ncmec_report_id]
    assert follow_up.files.get().relevance == "Supplemental Reported"
    assert reports.filter(status=ReportStatus.DRAFT, files__isnull=False).count() == 2
    assert all(r.case.reference.startswith("CS-") for r in reports)
    from reports.cybertip.referrals import referrals_for_officer

    seen = referrals_for_officer(context["officers"][0].user)
    assert [r.case_id for r in seen] == [filed.case_id]
    demo.load_demo(context)
    assert CyberTipReport.objects.count() == 3
