"""Thin views: parse the period, call the selectors or services, render one of the forms.

``?format=csv|json|pdf`` on a report page downloads the same figures the page shows;
``?section=dsa`` picks the DSA section for CSV and JSON. Aggregate figures hold no case
data, but every view and download is still logged (who looked at what, when).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.policy import CaseCapability
from cases.views.common import staff_required
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record, access_list_record
from portal.datetimes import ISO_DATE, shape_placeholder
from portal.http import AuthenticatedHttpRequest
from reports.transparency import outputs
from reports.transparency.access import may_publish
from reports.transparency.dashboard import dashboard_for
from reports.transparency.figures import ReportOptions
from reports.transparency.models import ReportKind, TransparencyReport
from reports.transparency.periods import (
    Period,
    half_years_before,
    period_current_default,
    period_parse,
)
from reports.transparency.services import (
    figures_compute,
    figures_hash,
    generation_require,
    report_generate,
    report_publish,
    report_reproduce,
)

FORMATS = ("html", "csv", "json", "pdf")
OBJECT_TYPE = "transparency.transparencyreport"


def _period(request: AuthenticatedHttpRequest) -> tuple[Period, dict[str, str]]:
    get = request.GET
    errors: dict[str, str] = {}
    if get.get("half") or get.get("from") or get.get("to"):
        try:
            return period_parse(
                half=get.get("half", ""), first=get.get("from", ""), last=get.get("to", "")
            ), {}
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
    return period_current_default(), errors


def _options(request: AuthenticatedHttpRequest, errors: dict[str, str]) -> ReportOptions:
    values: dict[str, int | None] = {}
    for name in ("band_below", "other_below"):
        raw = (request.POST.get(name) if request.method == "POST" else request.GET.get(name)) or ""
        if not raw.strip():
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[name] = _("Give a whole number.")
            continue
        if not 0 <= value <= 1_000_000:
            errors[name] = _("Give a number from 0 to 1,000,000.")
            continue
        values[name] = value
    return ReportOptions.from_settings(**values)


def _context(
    *,
    le: dict[str, Any],
    dsa: dict[str, Any],
    period_label: str,
    frozen: TransparencyReport | None = None,
) -> dict[str, Any]:
    return {
        "le": le,
        "dsa": dsa,
        "le_charts": outputs.le_charts(le),
        "dsa_charts": outputs.dsa_charts(dsa),
        "period_label": period_label,
        "frozen": frozen,
    }


def _download(fmt: str, section: str, context: dict[str, Any], name: str) -> HttpResponse:
    figures = context["dsa"] if section == "dsa" else context["le"]
    if fmt == "csv":
        body = outputs.dsa_csv(figures) if section == "dsa" else outputs.le_csv(figures)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{section}.csv"'
        return response
    if fmt == "json":
        response = HttpResponse(outputs.json_text(figures), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}-{section}.json"'
        return response
    response = HttpResponse(outputs.pdf_bytes(context), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _format(request: AuthenticatedHttpRequest) -> tuple[str, str]:
    fmt = request.GET.get("format") or "html"
    if fmt not in FORMATS:
        raise Http404
    section = "dsa" if request.GET.get("section") == "dsa" else "le"
    return fmt, section


@require_GET
@audited(Action.VIEW, object_type=OBJECT_TYPE)
@staff_required(CaseCapability.SEE_FIGURES)
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Live figures of a period (not frozen): what a report would say if generated now."""
    fmt, section = _format(request)
    period, errors = _period(request)
    options = _options(request, errors)
    le = figures_compute(kind=ReportKind.LE_REQUESTS, period=period, options=options)
    dsa = figures_compute(kind=ReportKind.DSA_ORDERS, period=period, options=options)
    context = _context(le=le, dsa=dsa, period_label=period.label)
    access_event_record(
        action=Action.EXPORT if fmt != "html" else Action.VIEW,
        request=request,
        object_type=OBJECT_TYPE,
        details={"period": period.label, "format": fmt, "section": section, "live": True},
    )
    if fmt != "html":
        return _download(fmt, section, context, f"transparency-{period.label}")
    query = (
        {"half": period.label}
        if period.is_half_year
        else {"from": period.first.isoformat(), "to": period.last.isoformat()}
    )
    if options.band_below:
        query["band_below"] = str(options.band_below)
    if options.other_below:
        query["other_below"] = str(options.other_below)
    context.update(
        {
            "period": period,
            "errors": errors,
            "options": options,
            "halves": list(reversed(half_years_before(period_current_default(), 6))),
            "downloads": _download_links(reverse("transparency:report"), query),
            "reports": TransparencyReport.objects.filter(period_label=period.label).select_related(
                "generated_by", "published_by"
            )[:20],
            "published": TransparencyReport.objects.filter(published_at__isnull=False).order_by(
                "-published_at"
            )[:10],
            "may_publish": may_publish(request.user),
            "live_sha256": {"le": figures_hash(le), "dsa": figures_hash(dsa)},
            # dates are typed as every page shows them (ADR 0033), not in a browser picker
            "date_placeholder": shape_placeholder(ISO_DATE),
            # a refused range is shown as typed, to correct rather than type again
            "typed": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
            if errors.get("from") or errors.get("to")
            else None,
        }
    )
    return render(request, "transparency/report.html", context)


def _download_links(base: str, query: dict[str, str]) -> list[dict[str, str]]:
    links = []
    for label, params in (
        (_("CSV (requests)"), {"format": "csv"}),
        (_("JSON (requests)"), {"format": "json"}),
        (_("CSV (DSA orders)"), {"format": "csv", "section": "dsa"}),
        (_("JSON (DSA orders)"), {"format": "json", "section": "dsa"}),
        (_("PDF (print)"), {"format": "pdf"}),
    ):
        links.append({"label": label, "url": f"{base}?{urlencode({**query, **params})}"})
    return links


@require_POST
@audited(Action.CREATE, object_type=OBJECT_TYPE)
@staff_required(CaseCapability.SEE_FIGURES)
def generate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Freeze both sections of a period as drafts (publish each on its own page)."""
    try:
        generation_require(request.user)
    except PermissionDenied:
        raise Http404 from None
    errors: dict[str, str] = {}
    try:
        period = period_parse(
            half=request.POST.get("half", ""),
            first=request.POST.get("from", ""),
            last=request.POST.get("to", ""),
        )
    except ValidationError as exc:
        return HttpResponse(
            " ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
        )
    options = _options(request, errors)
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        with transaction.atomic():  # both sections of the period, or neither
            le = report_generate(
                kind=ReportKind.LE_REQUESTS,
                period=period,
                options=options,
                actor=request.user,
            )
            report_generate(
                kind=ReportKind.DSA_ORDERS,
                period=period,
                options=options,
                actor=request.user,
            )
    except PermissionDenied:
        raise Http404 from None
    return redirect("transparency:frozen", pk=le.pk)


def _frozen_get(pk: int) -> TransparencyReport:
    found = (
        TransparencyReport.objects.select_related("generated_by", "published_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _sibling(report_row: TransparencyReport) -> TransparencyReport | None:
    """The other section generated with it (same period, options, generation time)."""
    other = (
        ReportKind.DSA_ORDERS
        if report_row.kind == ReportKind.LE_REQUESTS
        else ReportKind.LE_REQUESTS
    )
    return (
        TransparencyReport.objects.filter(
            kind=other,
            period_label=report_row.period_label,
            generated_at__lte=report_row.generated_at,
        )
        .order_by("-generated_at")
        .first()
        or TransparencyReport.objects.filter(kind=other, period_label=report_row.period_label)
        .order_by("generated_at")
        .first()
    )


@require_GET
@audited(Action.VIEW, object_type=OBJECT_TYPE)
@staff_required(CaseCapability.SEE_FIGURES)
def frozen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A generated report exactly as frozen, in any of the four forms."""
    fmt, section = _format(request)
    row = _frozen_get(pk)
    sibling = _sibling(row)
    le_row = row if row.kind == ReportKind.LE_REQUESTS else sibling
    dsa_row = row if row.kind == ReportKind.DSA_ORDERS else sibling
    empty_le: dict[str, Any] = {"by_country": [], "by_kind": [], "totals": {}, "trend": []}
    context = _context(
        le=le_row.figures if le_row else empty_le,
        dsa=dsa_row.figures if dsa_row else {"by_member_state": []},
        period_label=row.period_label,
        frozen=row,
    )
    access_event_record(
        action=Action.EXPORT if fmt != "html" else Action.VIEW,
        request=request,
        obj=row,
        details={"format": fmt, "section": section, "sha256": row.figures_sha256},
    )
    if fmt != "html":
        return _download(fmt, section, context, f"transparency-{row.period_label}-{row.pk}")
    reproduction = report_reproduce(report=row) if request.GET.get("reproduce") else None
    base = reverse("transparency:frozen", args=[row.pk])
    context.update(
        {
            "row": row,
            "le_row": le_row,
            "dsa_row": dsa_row,
            "reproduction": reproduction,
            "may_publish": may_publish(request.user),
            "downloads": _download_links(base, {}),
        }
    )
    return render(request, "transparency/frozen.html", context)


@require_POST
@audited(Action.UPDATE, object_type=OBJECT_TYPE)
@staff_required(CaseCapability.SEE_FIGURES)
def publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    row = _frozen_get(pk)
    try:
        report_publish(report=row, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return HttpResponse(
            " ".join(exc.messages), status=409, content_type="text/plain; charset=utf-8"
        )
    return redirect("transparency:frozen", pk=row.pk)


@require_GET
@audited(Action.VIEW, object_type="cases.case")
@staff_required(CaseCapability.SEE_OPERATIONS)
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The supervisors' live view of their teams' work."""
    board = dashboard_for(request.user)
    access_list_record(
        request=request,
        action=Action.LIST,
        object_type="cases.case",
        objects=[p.case for p in board.expiring],
        page=1,
        query={"view": "operations_dashboard"},
    )
    week_max = max(
        [w["met"] + w["missed"] + w["still_open"] for w in board.deadlines_by_week] + [1]
    )
    return render(
        request,
        "transparency/dashboard.html",
        {"board": board, "week_max": week_max, "charts": _dashboard_charts(board)},
    )


def _dashboard_charts(board: Any) -> dict[str, Any]:
    from reports.transparency import charts

    return {
        "status": charts.horizontal_stacked(
            uid="dash-status",
            title=_("Open cases by status"),
            rows=[(str(r["label"]).capitalize(), [r["count"]]) for r in board.open_by_status],
            series=[charts.Series(_("Open cases"), "solid")],
        ),
        "weeks": charts.grouped_columns(
            uid="dash-weeks",
            title=_("Deadlines met and missed per week"),
            columns=[
                (w["week"].strftime("%d %b"), [w["met"], w["missed"]])
                for w in board.deadlines_by_week
            ],
            series=[charts.Series(_("Met"), "solid"), charts.Series(_("Missed"), "hatch")],
            height=240,
        ),
    }
