"""What is doubtful about a request before it is filed, from the legal rules the domain
already holds (cases/rules/, cases/jurisdictions.py, LEGAL.md).

Intake refuses what the law makes impossible (a jurisdiction that cannot issue the kind, an
emergency without a justification). A doubt is different: the request can be filed, but
an officer who files it should know that the provider will likely narrow or refuse part of
it, or that a date looks wrong. The officer portal shows them before filing and asks to
confirm; the API answers them at ``POST /api/v1/requests/check/`` and with every filed
request. Each doubt names the field it is about and a stable code for software.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.jurisdictions import EPOC_STATES
from cases.models import DataCategory, ProcessKind
from cases.rules import EPOC_APPLIES_FROM
from cases.services.intake import IntakeInput

K = ProcessKind
EU_ORDERS = frozenset({K.EU_EPOC, K.EU_EPOC_PR})
# What each US instrument may compel (18 USC 2703; LEGAL.md): a subpoena basic subscriber
# information (and, under 2703(c)(2), session and IP records), a 2703(d) order non-content
# records, a warrant everything.
US_REACH: dict[str, frozenset[str]] = {
    K.US_SUBPOENA: frozenset({DataCategory.SUBSCRIBER, DataCategory.LOGIN_IP}),
    K.US_2703D_ORDER: frozenset(
        {
            DataCategory.SUBSCRIBER,
            DataCategory.LOGIN_IP,
            DataCategory.NON_CONTENT,
            DataCategory.LOCATION,
        }
    ),
}


@dataclass(frozen=True)
class Doubt:
    field: str  # the input field it is about ("" for the request as a whole)
    code: str  # stable, for software
    message: str  # in the viewer's language


def intake_doubts(facts: IntakeInput, *, today: date | None = None) -> list[Doubt]:
    """The doubts about ``facts``, most serious first; an empty list when none."""
    today = today or timezone.localdate()
    found: list[Doubt] = []
    reach = US_REACH.get(facts.kind)
    asked = set(facts.data_categories)
    if reach is not None and asked - reach:
        if facts.kind == K.US_SUBPOENA:
            message = _(
                "A subpoena compels basic subscriber information only (18 USC 2703(c)(2)). "
                "Stored content needs a search warrant, other records a 2703(d) order: we "
                "will likely produce only the subscriber information."
            )
        else:
            message = _(
                "A 2703(d) order does not reach stored content, which needs a search "
                "warrant (18 USC 2703(a)/(b)): we will likely produce non-content records only."
            )
        found.append(Doubt("data_categories", "beyond_statute", message))
    if facts.kind in EU_ORDERS:
        received = timezone.localdate(facts.received_at)
        if received < EPOC_APPLIES_FROM:
            found.append(
                Doubt(
                    "kind",
                    "eu_before_application",
                    _(
                        "Regulation (EU) 2023/1543 applies from 18 August 2026: an order "
                        "received before then is not a European Production or Preservation "
                        "Order. Send it as mutual legal assistance instead."
                    ),
                )
            )
        if facts.country and facts.country not in EPOC_STATES:
            found.append(
                Doubt(
                    "jurisdiction",
                    "eu_state_not_bound",
                    _(
                        "%(country)s does not issue European Production Orders: the "
                        "regulation binds the EU member states except Denmark."
                    )
                    % {"country": facts.country},
                )
            )
    if facts.emergency and not facts.emergency_justification.strip():
        found.append(
            Doubt(
                "emergency_justification",
                "emergency_without_justification",
                _(
                    "An emergency request needs the facts of the danger of death or serious "
                    "physical injury; without them it cannot be handled as an emergency."
                ),
            )
        )
    if facts.ndo_expires_on is not None and facts.ndo_expires_on < today:
        found.append(
            Doubt(
                "ndo_expires_on",
                "ndo_expired",
                _(
                    "The non-disclosure order expired on %(date)s: the user may be notified "
                    "of the request."
                )
                % {"date": facts.ndo_expires_on.isoformat()},
            )
        )
    elif facts.ndo and facts.ndo_expires_on is None:
        found.append(
            Doubt(
                "ndo_expires_on",
                "ndo_without_end",
                _(
                    "A non-disclosure order without an end date goes to our legal review "
                    "(DOJ policy since 2017: at most one year); give its end date if it has one."
                ),
            )
        )
    if facts.return_date is not None and facts.return_date < today:
        found.append(
            Doubt(
                "return_date",
                "return_date_past",
                _("The return date %(date)s is already past.")
                % {"date": facts.return_date.isoformat()},
            )
        )
    if facts.date_to is not None and facts.date_to > today:
        found.append(
            Doubt(
                "date_to",
                "period_in_future",
                _(
                    "The period ends in the future (%(date)s): a production covers records "
                    "that exist when it is made, not later ones."
                )
                % {"date": facts.date_to.isoformat()},
            )
        )
    return found
