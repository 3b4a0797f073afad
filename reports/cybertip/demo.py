"""Demo CyberTipline reports for ``make run`` (``manage.py load_demo`` calls ``load_demo``).

Three child-safety cases: a draft with a file nobody has viewed yet, a text-only enticement
report filed with NCMEC, and a later incident on the same user, drafted as a follow-up that
cites the filed report. Filing goes through the real client and submission against the
project's NCMEC test server, started in-process for the load. All data is fictitious.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import override_settings
from django.utils import timezone

from cases.models import Case, CaseType, ProcessKind, TargetKind
from portal.accounts.models import User
from reports.cybertip.models import (
    CyberTipReport,
    DetailKind,
    IncidentType,
    PersonRole,
    ReportStatus,
)
from reports.cybertip.services import (
    DetailInput,
    FileInput,
    PersonInput,
    ReportInput,
    cybertip_draft_for_user,
    report_draft_create,
    report_file_add,
)

DEMO_MARK = "[demo]"


def _intake(actor: User, summary: str, account: str) -> Case:
    """A child-safety incident through the cases intake service (either of its forms)."""
    from cases.services import intake as intake_service

    values: dict[str, Any] = {
        "case_type": CaseType.CHILD_SAFETY,
        "kind": ProcessKind.CYBERTIPLINE,
        "country": "US",
        "issuing_authority": "Internal detection (user report)",
        "received_via": "internal",
        "received_at": timezone.now() - timedelta(hours=5),
        "document": None,
        "targets": [(TargetKind.ACCOUNT_ID, account)],
        "summary": f"{DEMO_MARK} {summary}",
    }
    if hasattr(intake_service, "intake_input"):
        return intake_service.case_intake(actor=actor, data=intake_service.intake_input(**values))
    return intake_service.case_intake(actor=actor, **values)


def _synthetic_png(seed: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + f"demo synthetic file {seed}, not an image".encode() * 16


def load_demo(context: dict[str, Any]) -> None:
    if CyberTipReport.objects.filter(additional_info__startswith=DEMO_MARK).exists():
        return
    analyst = context["staff"]["analyst"]
    now = timezone.now()

    # 1. A draft: a reported upload, hashed, not yet reviewed by a person.
    case = _intake(analyst, "Apparent CSAM upload flagged by a user report", "100031337")
    draft = report_draft_create(
        case=case,
        actor=analyst,
        data=ReportInput(
            incident_type=IncidentType.CHILD_PORNOGRAPHY,
            incident_at=now - timedelta(hours=6),
            incident_time_zone="America/Chicago",
            additional_info=f"{DEMO_MARK} Flagged by a user report; awaiting review.",
            persons=[
                PersonInput(
                    role=PersonRole.REPORTED,
                    esp_identifier="100031337",
                    screen_name="demo_uploader",
                    ip_events=[
                        {
                            "ip": "203.0.113.9",
                            "event": "Upload",
                            "at": (now - timedelta(hours=6)).isoformat(),
                        }
                    ],
                )
            ],
            details=[DetailInput(kind=DetailKind.WEB_PAGE, urls=["https://example.com/p/8812"])],
        ),
    )
    report_file_add(
        report=draft,
        actor=analyst,
        upload=FileInput(
            name="upload-8812.png",
            content=_synthetic_png(1),
            content_type="image/png",
            uploaded_to_esp_at=now - timedelta(hours=6),
            uploader_ip="203.0.113.9",
        ),
    )

    # 2. Filed: grooming seen only in chat, no file at all, escalated.
    case = _intake(analyst, "Grooming of a minor in direct messages", "200045678")
    filed = report_draft_create(
        case=case,
        actor=analyst,
        data=ReportInput(
            incident_type=IncidentType.ONLINE_ENTICEMENT,
            incident_at=now - timedelta(days=1),
            incident_time_zone="Europe/Berlin",
            annotations=["sextortion"],
            escalate_text="Threatens to meet the child this weekend.",
            additional_info=f"{DEMO_MARK} Text-only report from the chat log.",
            persons=[
                PersonInput(
                    role=PersonRole.REPORTED, esp_identifier="200045678", screen_name="demo_groomer"
                ),
                PersonInput(role=PersonRole.VICTIM, age=13, esp_identifier="200099999"),
            ],
            details=[
                DetailInput(
                    kind=DetailKind.CHAT_IM,
                    chat_client="Example Messenger",
                    content="[demo] fictitious chat excerpt",
                )
            ],
        ),
    )
    _file_with_local_server(filed)

    # 4. An urgent referral on the filed case, approved by a second person: the first demo
    #    agency's officers see it in GET /api/v1/referrals/ and got an urgent notification.
    from reports.cybertip.referrals import referral_approve, referral_request

    officers = [o for o in context.get("officers", []) if o.status == "verified"]
    if officers and "supervisor" in context["staff"]:
        referral = referral_request(
            case=case,
            agency=officers[0].agency,
            basis="2702c4",
            emergency="The user arranged to meet the child this weekend.",
            disclosed="Account id 200045678, screen name, last login IP 198.51.100.23.",
            actor=analyst,
        )
        referral_approve(referral=referral, actor=context["staff"]["supervisor"])

    # 3. A later incident on the same user: a follow-up draft citing the filed report.
    cybertip_draft_for_user(
        case=case,
        reported_user_id="200045678",
        actor=analyst,
        incident_type=IncidentType.ONLINE_ENTICEMENT,
        incident_at=now - timedelta(hours=2),
        files=[
            FileInput(
                name="chat-log-200045678.csv",
                content=b"time,from,to,text\n2026-12-01T20:01Z,200045678,200099999,[demo]\n",
                content_type="text/csv",
                relevance="Supplemental Reported",
            )
        ],
    )
    CyberTipReport.objects.filter(status=ReportStatus.DRAFT, reported_user_key="200045678").update(
        additional_info=f"{DEMO_MARK} Follow-up: the user wrote to the child again."
    )


def _file_with_local_server(report: CyberTipReport) -> None:
    from reports.cybertip.submission import submission_run
    from reports.cybertip.testserver import NcmecTestServer

    demo_login = "liaison-demo"  # the in-process demo server's own login, not a secret
    server = NcmecTestServer(username=demo_login, password=demo_login).start()
    try:
        CyberTipReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.SUBMITTING, queued_at=timezone.now()
        )
        with override_settings(
            LIAISON_CYBERTIP_ENVIRONMENT="local",
            LIAISON_CYBERTIP_URL=server.base_url,
            LIAISON_CYBERTIP_USERNAME=demo_login,
            LIAISON_CYBERTIP_PASSWORD=demo_login,
        ):
            submission_run(report_id=report.pk)
    finally:
        server.stop()
