"""Reads of disclosures, each through the case gate (``cases.selectors``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from cases.models import Case
from cases.policy import CaseAction
from cases.selectors import cases_visible_to
from reports.disclosures.models import Disclosure, DisclosureState


def disclosures_of(case: Case) -> QuerySet[Disclosure]:
    """Every disclosure of a case the caller already passed the gate for."""
    return (
        case.disclosures.select_related("process", "preparer", "approver", "corrects", "package")
        .prefetch_related("files")
        .order_by("number")
    )


def released_of(case: Case) -> QuerySet[Disclosure]:
    return disclosures_of(case).filter(state=DisclosureState.RELEASED)


def disclosure_get(case: Case, pk: int) -> Disclosure:
    """One disclosure of a gated case, else 404."""
    disclosure = disclosures_of(case).filter(pk=pk).first()
    if disclosure is None:
        raise Http404
    return disclosure


def disclosures_visible_to(user: Any) -> QuerySet[Disclosure]:
    """Released disclosures of every case ``user`` may view (verify: "which production")."""
    return Disclosure.objects.filter(
        state=DisclosureState.RELEASED, case__in=cases_visible_to(user, CaseAction.VIEW)
    )
