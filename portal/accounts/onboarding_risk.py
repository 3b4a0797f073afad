"""Risk signals: what staff should know about the sender of a request before acting on it.

Shown on the case page next to each request (issue 6). The cases app passes in its request
counts, so this module knows nothing of cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Officer
from portal.accounts.onboarding import (
    REFUSAL_LABELS,
    email_domain,
    email_domain_matches,
    officer_access_refusal,
)

NEW_OFFICER_DAYS = 30


@dataclass(frozen=True)
class RiskSignal:
    """One reason to look twice at a request, shown to staff on the case page."""

    code: str
    label: str
    severity: str  # "info", "warn" or "danger", the badge classes of the UI


def officer_risk_signals(
    officer: Officer,
    *,
    agency_prior_requests: int | None = None,
    officer_prior_requests: int | None = None,
    emergency: bool = False,
) -> list[RiskSignal]:
    """What staff should know about the sender before acting on a request.

    The request counts are passed in by the caller (the cases app counts requests), so this
    module knows nothing of cases; ``None`` means "not counted" and gives no signal.
    """
    signals: list[RiskSignal] = []
    if officer.status in (Officer.Status.APPLIED, Officer.Status.REJECTED):
        return signals  # not an officer yet: the application page shows the status
    refusal = officer_access_refusal(officer.user)
    if refusal is not None:
        signals.append(RiskSignal("standing", str(REFUSAL_LABELS[refusal]).capitalize(), "danger"))
    since = officer.verified_at or officer.created_at
    if timezone.now() - since < timedelta(days=NEW_OFFICER_DAYS):
        signals.append(
            RiskSignal(
                "new_officer",
                _("New officer: verified less than %(n)d days ago") % {"n": NEW_OFFICER_DAYS},
                "warn",
            )
        )
    if not email_domain_matches(officer.user.email, officer.agency.email_domains):
        signals.append(
            RiskSignal(
                "domain_mismatch",
                _("E-mail domain %(d)s is not one of the agency's")
                % {"d": email_domain(officer.user.email)},
                "danger",
            )
        )
    if agency_prior_requests == 0:
        signals.append(
            RiskSignal("first_agency_request", _("First request from this agency"), "warn")
        )
    if emergency and officer_prior_requests == 0:
        signals.append(
            RiskSignal(
                "emergency_new_sender",
                _("Emergency request from an officer never seen before"),
                "danger",
            )
        )
    return signals
