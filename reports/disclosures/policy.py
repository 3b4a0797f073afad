"""Who may do what with disclosures, and which processes need one: the app's one policy module.

The case gate (``cases.selectors``) decides who sees and works a case; this module adds
the disclosure rules on top, each citing why:

- preparing (create, add files, send for approval) needs the right to *work* the case;
- releasing needs a decider role (legal or supervisor, ``cases.policy.DECIDERS``) and a
  person other than anyone who prepared it (two-person rule: the certificate is evidence,
  FRE 902(11) lets it stand in for a custodian's testimony, so a second person checks it);
- the officer sees a released production of their own agency's request (the case gate's
  officer branch) while its download window lasts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from cases.models import CaseStatus, ProcessKind
from cases.policy import DECIDERS, CaseCapability, may, officer_agency_id
from portal.accounts.roles import user_roles

if TYPE_CHECKING:
    from reports.disclosures.models import Disclosure

# Process kinds that ask to keep records, not to produce them (LEGAL.md): a preservation
# answers with a hold, not a disclosure, so the "disclosed" guard does not wait for one.
NON_PRODUCING_KINDS = frozenset(
    {
        ProcessKind.US_PRESERVATION,
        ProcessKind.US_BACKUP_PRESERVATION,
        ProcessKind.EU_EPOC_PR,
        ProcessKind.CA_PRESERVATION_ORDER,
        ProcessKind.CA_PRESERVATION_DEMAND,
        ProcessKind.BR_RETENTION_DEMAND,
        ProcessKind.CYBERTIPLINE,
    }
)

# Statuses in which records may be produced (and a no-records letter written): after legal
# approval, while collecting, and later for rolling productions and corrections.
PRODUCING_STATUSES = frozenset(
    {CaseStatus.COLLECTING, CaseStatus.READY_TO_DISCLOSE, CaseStatus.DISCLOSED}
)
# A rejection letter answers a process refused (in whole or part) at any point before the
# request ends otherwise.
REJECTION_STATUSES = frozenset(
    {
        CaseStatus.TRIAGE,
        CaseStatus.LEGAL_REVIEW,
        CaseStatus.NEEDS_INFO,
        CaseStatus.APPROVED,
        CaseStatus.COLLECTING,
        CaseStatus.READY_TO_DISCLOSE,
        CaseStatus.REJECTED,
        CaseStatus.DISCLOSED,
    }
)


def process_asks_for_records(kind: str) -> bool:
    return kind not in NON_PRODUCING_KINDS


def may_approve(user: Any) -> bool:
    """Holds a role that may release a disclosure (the object check is the case gate)."""
    return bool(user_roles(user) & DECIDERS)


def may_verify(user: Any) -> bool:
    """May use the portal's signature check: staff who work cases, and officers in good
    standing. A suspended officer, or one of a suspended agency, is refused here as on every
    other officer page and on the API's ``/verify/`` (the access matrix found the page open
    to them); anyone else holding a production can check it offline."""
    return may(user, CaseCapability.WORK_CASES) or officer_agency_id(user) is not None


def release_refusal(disclosure: Disclosure, approver: Any, preparers: set[int]) -> str:
    """Why ``approver`` may not release ``disclosure`` now, or "" (one condition a line)."""
    if disclosure.state != "ready":
        return _("Only a disclosure sent for approval can be released.")
    if not may_approve(approver):
        return _("Only legal staff or a supervisor may release a disclosure.")
    if approver.pk in preparers:
        return _("A second person must release it: you prepared this disclosure.")
    return ""


def download_days() -> int:
    return int(settings.LIAISON_DISCLOSURE_DOWNLOAD_DAYS)


def download_expires_at(released_at: datetime) -> datetime:
    """Until when the officer's download links work (settings, default 30 days)."""
    return released_at + timedelta(days=download_days())
