"""Who may see and publish transparency figures: the capabilities of ``cases.policy``.

The figures count cases of every team, so they need a capability of their own
(``SEE_FIGURES``), not a team membership; they hold no case data. The dashboard shows the
supervisor's own teams only (``SEE_OPERATIONS`` plus the case gate). Publishing freezes
what the public reads (``PUBLISH_REPORTS``).
"""

from __future__ import annotations

from typing import Any

from cases.policy import CaseCapability, may


def may_see_figures(user: Any) -> bool:
    return may(user, CaseCapability.SEE_FIGURES)


def may_see_dashboard(user: Any) -> bool:
    return may(user, CaseCapability.SEE_OPERATIONS)


def may_publish(user: Any) -> bool:
    return may(user, CaseCapability.PUBLISH_REPORTS)
