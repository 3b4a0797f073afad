"""The workflow guard this app registers (``cases.extensions``), and what a released
production says about the request for the transparency report (``case_narrowed``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cases.models import Case
from reports.disclosures.models import (
    NARROWING_REASONS,
    Disclosure,
    DisclosureKind,
    DisclosureState,
)
from reports.disclosures.policy import process_asks_for_records


def disclosed_needs_release(case: Case) -> str:
    """A case is "disclosed" only when every process that asked for records has a released
    disclosure (a production, a no-records letter or a rejection letter): the agency must
    hold a signed answer to each instrument it served."""
    asking = [p for p in case.processes.all() if process_asks_for_records(p.kind)]
    if not asking:
        return ""
    answered = set(
        Disclosure.objects.filter(
            case=case, state=DisclosureState.RELEASED, process__in=asking
        ).values_list("process_id", flat=True)
    )
    missing = [p for p in asking if p.pk not in answered]
    if not missing:
        return ""
    return _("Release a signed disclosure for each process first (%(n)s without one).") % {
        "n": len(missing)
    }


def case_narrowed(case_id: int) -> bool:
    """Whether a released production of the case produced less than asked for a narrowing
    reason (``NARROWING_REASONS``): some data was given, the request was narrowed."""
    return Disclosure.objects.filter(
        case_id=case_id,
        state=DisclosureState.RELEASED,
        kind=DisclosureKind.PRODUCTION,
        not_produced_reason__in=NARROWING_REASONS,
    ).exists()
