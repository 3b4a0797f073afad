"""A PDF summary of a filed report (WeasyPrint), archived with the XML.

The summary names facts, hashes and NCMEC's receipt; it never embeds the reported files.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from reports.cybertip.models import CyberTipReport


def report_summary_pdf(report: CyberTipReport) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = render_to_string(
        "cybertip/summary_pdf.html",
        {
            "report": report,
            "persons": list(report.persons.all()),
            "details": list(report.internet_details.all()),
            "files": list(report.files.all()),
            "steps": list(report.steps.order_by("sent_at", "pk")),
        },
    )
    return HTML(string=html).write_pdf()
