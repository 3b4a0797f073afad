"""No case content, secret or personal data leaves by e-mail or webhook (issue 18, item 4).

E-mail and a chat webhook are not channels for case content: a notification says where to
read something, never what it is (docs/notifications.md). GIVEN every flow that notifies
someone outside the portal - messages both ways, a request for information, deadline
reminders and escalations, a released production, an urgent referral - with identifiers,
message text and reasons that are easy to spot, WHEN each notification is rendered as the
e-mail and the webhook body the channels send, THEN none carries a target identifier, the
agency's case number or docket, a message body, a transition reason, the referral's facts,
the officer's token, or another person's e-mail address.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cases.conversation.services import message_post
from cases.models import CaseStatus, TargetKind
from cases.reminders.sweep import reminders_sweep
from cases.workflow import case_transition
from portal.accounts.tokens import api_token_issue
from portal.notifications.channels import email_send, webhook_body
from portal.notifications.models import Notification
from reports.cybertip.referrals import referral_approve, referral_request
from tests.cases.factories import intake
from tests.reports.cybertip.conftest import cs_case  # noqa: F401 - fixtures used below
from tests.reports.disclosures.conftest import (  # noqa: F401 - fixtures used below
    collecting_case,
    demo_pki,
    signing_settings,
    tsa_url,
)
from tests.reports.disclosures.helpers import built

pytestmark = pytest.mark.django_db(transaction=True)

TARGET_EMAIL = "mailscan.subject@example.com"
TARGET_PHONE = "+12175550187"
CASE_NUMBER = "SCAN-CASE-0077"
DOCKET = "GJ-2026-0999"
STAFF_BODY = "Staff text: the account was created from a library terminal"
OFFICER_BODY = "Officer text: the victim lives on Maple Street"
REASON = "Reason text: which of the two mailboxes is the suspect's"
EMERGENCY = "Emergency text: ongoing live stream of abuse of a child"
DISCLOSED = "Account id 100031337, stream URL, last login IP 203.0.113.9"


def test_notifications_leaving_the_portal_carry_no_case_content(
    request, officer_a, responder, supervisor, legal, child_safety
):
    production_case = request.getfixturevalue("collecting_case")
    incident = request.getfixturevalue("cs_case")
    token = api_token_issue(user=officer_a.user, name="Case system", scopes=["read"]).plaintext
    case = intake(
        officer_a.user,
        targets=[(TargetKind.EMAIL, TARGET_EMAIL), (TargetKind.PHONE, TARGET_PHONE)],
        agency_case_number=CASE_NUMBER,
        authority_reference=DOCKET,
    )
    case.assignee = responder
    case.save(update_fields=["assignee"])

    # Messages both ways, then a request for information with its reason.
    message_post(case=case, author=responder, body=STAFF_BODY)
    message_post(case=case, author=officer_a.user, body=OFFICER_BODY)
    case_transition(case=case, to_status=CaseStatus.TRIAGE, actor=responder)
    case.refresh_from_db()
    case_transition(case=case, to_status=CaseStatus.NEEDS_INFO, actor=responder, reason=REASON)
    # Reminders and escalations: every open deadline long past.
    reminders_sweep(now=timezone.now() + timedelta(days=400))
    # A production released and signed (the collecting_case fixture: suspect@example.com, its docket
    # GJ-2026-0417 and case number ECPD-26-01234), the officer told it is ready.
    built(production_case, responder, legal)
    # An urgent referral, approved by a second person: agency A's officers are alerted.
    referral = referral_request(
        case=incident,
        agency=officer_a.agency,
        basis="2702b8",
        emergency=EMERGENCY,
        disclosed=DISCLOSED,
        actor=child_safety,
    )
    referral_approve(referral=referral, actor=supervisor)

    notifications = list(Notification.objects.select_related("user"))
    kinds = {n.kind for n in notifications}
    assert {"message", "disclosure_released", "urgent_referral"} <= kinds, kinds
    assert any(n.user_id == supervisor.pk for n in notifications), "no escalation was sent"

    mail.outbox.clear()
    rendered: list[tuple[Notification, str]] = []
    for notification in notifications:
        email_send(notification)
        sent = mail.outbox[-1]
        rendered.append((notification, f"{sent.subject}\n{sent.body}\n{sent.to}"))
        rendered.append((notification, webhook_body(notification).decode()))

    secrets = {
        "target e-mail": TARGET_EMAIL,
        "target phone": TARGET_PHONE,
        "target phone, national": "217) 555-0187",
        "agency case number": CASE_NUMBER,
        "docket": DOCKET,
        "staff message": STAFF_BODY,
        "officer message": OFFICER_BODY,
        "transition reason": REASON,
        "referral emergency": EMERGENCY,
        "referral facts": "100031337",
        "referral IP": "203.0.113.9",
        "production target": "suspect@example.com",
        "production docket": "GJ-2026-0417",
        "production case number": "ECPD-26-01234",
        "API token": token,
    }
    leaks = {
        (name, notification.kind, notification.user.username)
        for name, value in secrets.items()
        for notification, text in rendered
        if value.lower() in text.lower()
    }
    assert leaks == set()
    # Each e-mail goes to its own recipient only, and names nobody else's address.
    addresses = {n.user.email for n in notifications if n.user.email}
    for notification, text in rendered:
        others = addresses - {notification.user.email}
        assert not [a for a in others if a in text], (notification.kind, notification.user)
