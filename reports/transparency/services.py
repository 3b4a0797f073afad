"""Generating and publishing transparency reports: frozen, hashed, audited.

``report_generate`` computes the figures and stores them with their inputs and the
SHA-256 of their canonical JSON (a draft); ``report_publish`` marks a draft published,
once, compare-and-set. Both write their access event in the same transaction.
``report_reproduce`` computes the figures again from the stored inputs and says whether
the hash still matches (it stops matching when requests were recorded late or changed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.audit.services import Outcome, access_event_record
from reports.transparency.access import may_publish
from reports.transparency.dsa import dsa_figures
from reports.transparency.figures import ReportOptions, le_request_figures
from reports.transparency.models import ReportKind, TransparencyReport
from reports.transparency.periods import Period


def canonical_json(figures: dict[str, Any]) -> bytes:
    """The bytes the hash is taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def figures_hash(figures: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(figures)).hexdigest()


def figures_compute(*, kind: str, period: Period, options: ReportOptions) -> dict[str, Any]:
    """The figures of one report, with labels in English (the frozen form must not
    depend on the viewer's language; pages translate the labels they show)."""
    with translation.override("en"):
        if kind == ReportKind.LE_REQUESTS:
            return le_request_figures(period=period, options=options)
        if kind == ReportKind.DSA_ORDERS:
            return dsa_figures(period=period)
    raise ValidationError({"kind": _("Unknown kind of report.")})


def generation_require(actor: Any, *, details: dict[str, str] | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may freeze reports. The refusal is
    logged outside any transaction, so its entry survives the error; the page asks before
    reading the form, so that someone who may not generate learns nothing from its errors."""
    if not may_publish(actor):
        access_event_record(
            action="transparency_generate",
            actor=actor,
            object_type="transparency.transparencyreport",
            outcome=Outcome.DENIED,
            details=details or {},
        )
        raise PermissionDenied


def report_generate(
    *,
    kind: str,
    period: Period,
    options: ReportOptions,
    actor: Any,
) -> TransparencyReport:
    """Freeze the figures of ``kind`` for ``period`` as a draft report."""
    generation_require(actor, details={"kind": kind, "period": period.label})
    with transaction.atomic():
        return _report_store(kind=kind, period=period, options=options, actor=actor)


def _report_store(
    *, kind: str, period: Period, options: ReportOptions, actor: Any
) -> TransparencyReport:
    figures = figures_compute(kind=kind, period=period, options=options)
    report = TransparencyReport(
        kind=kind,
        period_label=period.label,
        period_first=period.first,
        period_last=period.last,
        time_zone=period.time_zone,
        options={"band_below": options.band_below, "other_below": options.other_below},
        figures=figures,
        figures_sha256=figures_hash(figures),
        generated_at=timezone.now(),
        generated_by=actor,
    )
    report.full_clean()
    report.save()
    access_event_record(
        action="transparency_generate",
        actor=actor,
        obj=report,
        details={"kind": kind, "period": period.label, "sha256": report.figures_sha256},
    )
    return report


def report_publish(*, report: TransparencyReport, actor: Any) -> TransparencyReport:
    """Publish a draft: once per kind and period, never again for the same row."""
    if not may_publish(actor):
        access_event_record(
            action="transparency_publish",
            actor=actor,
            obj=report,
            outcome=Outcome.DENIED,
        )
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                updated = TransparencyReport.objects.filter(
                    pk=report.pk, published_at__isnull=True
                ).update(published_at=now, published_by=actor)
        except IntegrityError:
            raise ValidationError(
                _("A report for this period is already published; it cannot be replaced.")
            ) from None
        if updated != 1:
            raise ValidationError(_("This report is already published."))
        report.refresh_from_db()
        _publish_record(report=report, actor=actor)
    return report


def _publish_record(*, report: TransparencyReport, actor: Any) -> None:
    access_event_record(
        action="transparency_publish",
        actor=actor,
        obj=report,
        details={
            "kind": report.kind,
            "period": report.period_label,
            "sha256": report.figures_sha256,
        },
    )


@dataclass(frozen=True)
class Reproduction:
    matches: bool
    sha256: str


def report_period(report: TransparencyReport) -> Period:
    return Period(report.period_first, report.period_last, report.period_label, report.time_zone)


def report_reproduce(*, report: TransparencyReport) -> Reproduction:
    """Compute the stored report again from its inputs and compare the hashes."""
    options = ReportOptions(**report.options)
    figures = figures_compute(kind=report.kind, period=report_period(report), options=options)
    digest = figures_hash(figures)
    return Reproduction(matches=digest == report.figures_sha256, sha256=digest)
