"""Demo cases for ``make run``: a dozen fictitious requests and incidents in several states.

Called by ``manage.py load_demo`` after ``portal.accounts.demo`` put teams, staff, agencies
and officers into the context. Everything goes through the real services (intake,
transitions, holds, notes), so the demo shows what the product does, deadlines included.
Cases cannot be deleted (their timeline is append-only), so the cases are created once;
a second run only refreshes the routing rules.
All names, addresses, numbers and IPs are fictitious (example.com, 555, RFC 5737).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseType, ProcessKind, RoutingRule, TargetKind
from cases.services import case_assign, case_intake, intake_input, note_add, preservation_extend
from cases.workflow import case_transition
from portal.accounts.models import Agency, Officer, Team, User

K = ProcessKind
T = TargetKind
DEMO_MARK = "[demo]"
# Outputs that answer a demo case before it may be marked disclosed (``reports.disclosures``
# releases a signed production: its workflow guard requires one). Filled from an output
# app's ``AppConfig.ready()``; called as ``answer(case=, preparer=, approver=)``.
DEMO_ANSWERS: list[Callable[..., None]] = []


def demo_pdf(title: str) -> bytes:
    """A one-page PDF saying what the fictitious document is (valid, with a correct xref)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 14 Tf 72 720 Td (FICTITIOUS DEMO DOCUMENT: {text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _document(title: str) -> SimpleUploadedFile:
    name = title.lower().replace(" ", "-")[:40] + ".pdf"
    return SimpleUploadedFile(name, demo_pdf(title), "application/pdf")


def routing_rules_ensure(teams: Mapping[str, Team]) -> None:
    """EU and UK process goes to EMEA, child-safety incidents to the child-safety team."""
    wanted = []
    if "emea" in teams:
        wanted += [(10, "", code, teams["emea"]) for code in ("DE", "FR", "NL", "IE", "GB")]
    if "child-safety" in teams:
        wanted.append((5, CaseType.CHILD_SAFETY, "", teams["child-safety"]))
    for position, case_type, jurisdiction, team in wanted:
        RoutingRule.objects.update_or_create(
            case_type=case_type,
            jurisdiction=jurisdiction,
            defaults={"position": position, "team": team},
        )


def _move(case: Case, actor: User, *steps: str, reason: str = "") -> Case:
    for status in steps:
        case = case_transition(case=case, to_status=status, actor=actor, reason=reason).case
    return case


@transaction.atomic
def demo_cases_create(
    *,
    agencies: Sequence[Agency],
    officers: Sequence[Officer],
    staff: Mapping[str, User],
    now: datetime | None = None,
) -> list[Case]:
    """Create the demo cases (once); returns them. ``staff`` is keyed by username and
    needs ``responder``, ``legal``, ``supervisor`` and ``analyst``."""
    existing = list(Case.objects.filter(summary__startswith=DEMO_MARK))
    if existing:
        return existing
    now = now or timezone.now()
    responder, legal = staff["responder"], staff["legal"]
    supervisor, analyst = staff["supervisor"], staff["analyst"]
    springfield, federal = officers[0], officers[1]
    foreign = officers[2] if len(officers) > 2 else None

    def ago(**delta: float) -> datetime:
        return now - timedelta(**delta)

    cases: list[Case] = []

    def add(actor: User, summary: str, **values: Any) -> Case:
        values.setdefault("document", _document(summary))
        values.setdefault("issuing_authority", "Circuit Court of Example County")
        case = case_intake(
            actor=actor, data=intake_input(summary=f"{DEMO_MARK} {summary}", **values)
        )
        cases.append(case)
        return case

    # 1. Overdue: a subpoena past its 14-day internal SLA, in triage with the responder.
    case = add(
        springfield.user,
        "Subscriber records for a fraud investigation",
        kind=K.US_SUBPOENA,
        country="US",
        subdivision="US-IL",
        authority_reference="GJ-2026-0412",
        received_at=ago(days=16),
        targets=[(T.EMAIL, "fraud.suspect@example.com"), (T.PHONE, "+1 217 555 0161")],
    )
    case = _move(case, responder, "triage")
    case_assign(case=case, assignee=responder, actor=supervisor)
    note_add(case=case, author=responder, body="Called the detective: records still needed.")

    # 2. Due soon: a warrant returnable tomorrow, in legal review.
    case = add(
        federal.user,
        "Stored content for a kidnapping investigation",
        kind=K.US_SEARCH_WARRANT,
        country="US",
        subdivision="",
        issuing_authority="US District Court for the District of Example",
        authority_reference="1:26-mj-00777",
        received_at=ago(days=6),
        return_date=(now + timedelta(days=1)).date(),
        ndo=True,
        ndo_expires_on=(now + timedelta(days=180)).date(),
        targets=[(T.ACCOUNT_ID, "100004417"), (T.USERNAME, "@night_owl_77")],
    )
    _move(case, supervisor, "triage", "legal_review")

    # 3. A 2703(f) preservation close to expiry, extended once already.
    case = add(
        federal.user,
        "Preserve account records pending a warrant",
        kind=K.US_PRESERVATION,
        country="US",
        issuing_authority="Federal Bureau of Examples, Cyber Division",
        received_at=ago(days=175),
        targets=[(T.ACCOUNT_ID, "100004417"), (T.IP, "198.51.100.23")],
    )
    preservation_extend(
        preservation=case.preservations.get(), actor=responder, note="Renewed request received."
    )
    _move(case, supervisor, "triage", "legal_review", "approved", "collecting")

    # 4. Emergency: threat to life, first decision due within the hour, one approval so far.
    case = add(
        springfield.user,
        "Threat to life posted on a public profile",
        kind=K.US_EMERGENCY,
        country="US",
        subdivision="US-IL",
        issuing_authority="Springfield Police Department",
        received_at=ago(minutes=25),
        emergency=True,
        emergency_justification="Post names a school and a time; the author has a weapon.",
        document=None,
        targets=[(T.USERNAME, "@angry_poster_12"), (T.IP, "192.0.2.45")],
    )
    case = _move(case, responder, "emergency_review")
    case_transition(case=case, to_status="approved", actor=responder)
    case_assign(case=case, assignee=responder, actor=responder)

    # 5. An EU production order routed to EMEA, unassigned.
    if foreign is not None:
        add(
            foreign.user,
            "Traffic data for an extortion case",
            kind=K.EU_EPOC,
            country="DE",
            subdivision="DE-BE",
            issuing_authority="Staatsanwaltschaft Beispielstadt",
            received_at=ago(days=2),
            targets=[(T.EMAIL, "erpresser@example.com")],
        )
        # 6. An EU preservation order, extended by 30 days.
        case = add(
            foreign.user,
            "Preserve records for a later production order",
            kind=K.EU_EPOC_PR,
            country="DE",
            issuing_authority="Amtsgericht Beispielstadt",
            received_at=ago(days=50),
            targets=[(T.EMAIL, "erpresser@example.com"), (T.PHONE, "+1 202 555 0188")],
        )
        preservation_extend(preservation=case.preservations.get(), actor=legal)

    # 7. Disclosed and closed under an NDO: only the user-notice duty remains open.
    case = add(
        springfield.user,
        "Login IP history for a burglary ring",
        kind=K.US_2703D_ORDER,
        country="US",
        subdivision="US-IL",
        received_at=ago(days=40),
        ndo=True,
        ndo_expires_on=(now + timedelta(days=120)).date(),
        targets=[(T.EMAIL, "fraud.suspect@example.com")],
    )
    case = _move(case, supervisor, "triage", "legal_review", "approved", "collecting")
    for answer in DEMO_ANSWERS:
        answer(case=case, preparer=responder, approver=legal)
    _move(case, supervisor, "ready_to_disclose", "disclosed", "closed")

    # 8. A pen/trap order being implemented.
    case = add(
        federal.user,
        "Prospective login metadata",
        kind=K.US_PEN_TRAP,
        country="US",
        issuing_authority="US District Court for the District of Example",
        received_at=ago(days=1),
        targets=[(T.ACCOUNT_ID, "100009921")],
    )
    _move(case, supervisor, "triage", "legal_review", "approved", "collecting")

    # 9. Withdrawn by the agency.
    case = add(
        springfield.user,
        "Records no longer needed",
        kind=K.US_SUBPOENA,
        country="US",
        subdivision="US-IL",
        received_at=ago(days=9),
        targets=[(T.EMAIL, "witness@example.com")],
    )
    _move(case, springfield.user, "withdrawn", reason="Case resolved; request withdrawn.")

    # 10. Rejected as overbroad.
    case = add(
        federal.user,
        "Every account that visited a page",
        kind=K.US_SUBPOENA,
        country="US",
        received_at=ago(days=12),
        targets=[(T.URL, "https://example.com/forum/thread/42")],
    )
    case = _move(case, responder, "triage")
    _move(
        case, legal, "rejected", reason="Overbroad: names no account; a subpoena cannot reach it."
    )

    # 11. A child-safety incident: the CyberTipline report is due within 24 hours.
    case = add(
        analyst,
        "Apparent exploitation reported by a user",
        case_type=CaseType.CHILD_SAFETY,
        kind=K.CYBERTIPLINE,
        country="US",
        issuing_authority="Internal detection (user report)",
        received_via="internal",
        received_at=ago(hours=3),
        document=None,
        targets=[(T.ACCOUNT_ID, "100031337"), (T.IP, "203.0.113.9")],
    )
    case = _move(case, analyst, "triage")
    case_assign(case=case, assignee=analyst, actor=analyst)

    # 12. Arrived by fax without an agency account: a UK order waiting for information.
    case = add(
        legal,
        "Overseas production order received by fax",
        kind=K.UK_OPO,
        country="GB",
        issuing_authority="Crown Court at Example",
        received_via="fax",
        received_at=ago(days=3),
        targets=[(T.EMAIL, "uk.subject@example.com")],
    )
    case = _move(case, legal, "triage")
    _move(case, legal, "needs_info", reason="Page 2 of the order is missing from the fax.")

    # 13. An MLAT request by e-mail, no agency account, normal triage.
    add(
        responder,
        "Mutual legal assistance request",
        kind=K.MLAT,
        country="BR",
        issuing_authority="Office of International Affairs (on behalf of Brazil)",
        received_via="email",
        received_at=ago(days=20),
        targets=[(T.EMAIL, "sujeito@example.com")],
    )
    return cases


def load_demo(context: dict[str, Any]) -> None:
    """The demo loader's entry point (``manage.py load_demo``)."""
    routing_rules_ensure(context.get("teams", {}))
    cases = demo_cases_create(
        agencies=context["agencies"], officers=context["officers"], staff=context["staff"]
    )
    context["cases"] = cases
