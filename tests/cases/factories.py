"""Factories for the cases domain.

``CaseFactory`` and friends write rows directly: fast, for gate, queue and workflow tests
that need many cases in given states. ``intake`` goes through the real service, for tests
about what intake produces.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from cases.models import (
    Case,
    CaseStatus,
    CaseType,
    LegalProcess,
    ProcessKind,
    Target,
    TargetKind,
)
from cases.services import case_intake, intake_input
from tests.cases.documents import pdf_upload
from tests.factories import default_team


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"LR-2026-{900000 + n:06d}")
    case_type = CaseType.REQUEST
    status = CaseStatus.RECEIVED
    team = factory.LazyFunction(default_team)
    status_changed_at = factory.LazyFunction(timezone.now)
    next_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    class Params:
        child_safety = factory.Trait(
            case_type=CaseType.CHILD_SAFETY,
            reference=factory.Sequence(lambda n: f"CS-2026-{900000 + n:06d}"),
        )


class LegalProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalProcess

    case = factory.SubFactory(CaseFactory)
    kind = ProcessKind.US_SUBPOENA
    country = "US"
    subdivision = "US-CA"
    issuing_authority = "Superior Court of Example County"
    received_at = factory.LazyFunction(timezone.now)


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    process = factory.SubFactory(LegalProcessFactory)
    case = factory.SelfAttribute("process.case")
    kind = TargetKind.EMAIL
    value = factory.Sequence(lambda n: f"user{n}@example.com")
    normalised = factory.SelfAttribute("value")


def intake(actor: Any, **overrides: Any) -> Case:
    """A case through the real intake service, with sensible fictitious defaults."""
    values: dict[str, Any] = {
        "kind": ProcessKind.US_SUBPOENA,
        "country": "US",
        "subdivision": "US-CA",
        "issuing_authority": "Superior Court of Example County",
        "received_at": timezone.now(),
        "targets": [(TargetKind.EMAIL, "suspect@example.com")],
        "document": pdf_upload(),
    }
    values.update(overrides)
    return case_intake(actor=actor, data=intake_input(**values))
