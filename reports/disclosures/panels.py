"""Case page panels: the staff's productions (prepare, send for approval, release, progress)
and the officer's (released answers, certificate summary, download while the link works)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cases.extensions import CasePanel
from cases.models import Case, CaseType
from cases.policy import CaseAction, case_allows, officer_agency_id
from reports.disclosures import policy
from reports.disclosures.forms import DisclosureForm, ProducedFileForm, ReturnForm
from reports.disclosures.links import download_expired, download_expires, download_token
from reports.disclosures.models import Disclosure, DisclosureKind, DisclosureState
from reports.disclosures.selectors import disclosures_of, released_of
from reports.disclosures.services import preparers_of

# A post that failed re-renders the page with its bound form: {"create": form} or
# {("file", pk): form} / {("return", pk): form}.
BOUND_FORMS_ATTR = "disclosure_forms"


@dataclass
class Row:
    disclosure: Disclosure
    package: Any
    files: list[Any]
    record_total: int
    file_form: ProducedFileForm | None = None
    return_form: ReturnForm | None = None
    can_submit: bool = False
    can_release: bool = False
    release_refusal: str = ""
    expires_at: datetime | None = None
    token: str = ""
    expired: bool = False
    can_renew: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _package(disclosure: Disclosure) -> Any:
    try:
        return disclosure.package
    except Disclosure.package.RelatedObjectDoesNotExist:
        return None


def _staff_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    if case.case_type != CaseType.REQUEST:
        return None
    user = request.user
    can_work = case_allows(user, case, CaseAction.WORK)
    bound: dict[Any, Any] = getattr(request, BOUND_FORMS_ATTR, {})
    rows = []
    for d in disclosures_of(case):
        files = list(d.files.all())
        row = Row(
            disclosure=d,
            package=_package(d),
            files=files,
            record_total=sum(f.record_count for f in files),
        )
        if can_work and d.state == DisclosureState.DRAFT:
            if d.kind == DisclosureKind.PRODUCTION:
                row.file_form = bound.get(("file", d.pk)) or ProducedFileForm(
                    case=case, disclosure=d
                )
            row.can_submit = True
        if can_work and d.state == DisclosureState.READY:
            row.release_refusal = policy.release_refusal(d, user, preparers_of(d))
            row.can_release = not row.release_refusal
            row.return_form = bound.get(("return", d.pk)) or ReturnForm(auto_id=f"ret{d.pk}_%s")
        if d.released_at:
            row.expires_at = download_expires(d)
            row.expired = download_expired(d)
            row.can_renew = can_work and row.expired and bool(case.agency_id)
        rows.append(row)
    released = [r.disclosure for r in rows if r.disclosure.state == DisclosureState.RELEASED]
    can_create = can_work and (
        case.status in policy.PRODUCING_STATUSES or case.status in policy.REJECTION_STATUSES
    )
    return {
        "disclosure_rows": rows,
        "disclosure_form": (
            bound.get("create")
            or DisclosureForm(
                case=case,
                released=released,
            )
        )
        if can_create
        else None,
        "disclosure_create_open": "create" in bound,
        "download_days": policy.download_days(),
        "rendering": any(r.package and r.package.status in ("queued", "rendering") for r in rows),
    }


def _officer_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    if case.case_type != CaseType.REQUEST:
        return None
    agency_id = officer_agency_id(request.user)
    if agency_id is None or case.agency_id != agency_id:
        return None
    now = timezone.now()
    rows = []
    for d in released_of(case):
        package = _package(d)
        files = list(d.files.all())
        row = Row(
            disclosure=d,
            package=package,
            files=files,
            record_total=sum(f.record_count for f in files),
            expires_at=download_expires(d),
            expired=download_expired(d, now),
        )
        if package is not None and package.status == "done" and not row.expired:
            row.token = download_token(d, agency_id)
        rows.append(row)
    return {"production_rows": rows, "download_days": policy.download_days()}


STAFF_PANEL = CasePanel(
    name="disclosures",
    template="disclosures/panel.html",
    context=_staff_context,
    column="main",
    order=15,
)
OFFICER_PANEL = CasePanel(
    name="disclosures-officer",
    template="disclosures/officer_panel.html",
    context=_officer_context,
    column="main",
    order=15,
    audience="officer",
)
