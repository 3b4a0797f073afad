"""The gate of every CyberTipline write and report page: child-safety analysts and
supervisors who work the (child-safety) case; anyone else gets the same 404 as for a
missing case."""

from __future__ import annotations

from cases.errors import CaseNotFound
from cases.models import Case, CaseType
from cases.selectors import CaseAction, case_check
from portal.accounts.models import User
from portal.accounts.roles import Role, user_roles

# The roles that work CyberTipline reports (issue 13: child safety and supervisors only).
CYBERTIP_ROLES = frozenset({Role.CHILD_SAFETY, Role.SUPERVISOR})


def cybertip_case_check(actor: User, case_id: int, *, lock: bool = False) -> Case:
    """The gate of every write (and of the report pages): 404 unless the actor may work
    this child-safety case as a child-safety analyst or supervisor."""
    if not user_roles(actor) & CYBERTIP_ROLES:
        raise CaseNotFound(
            denial={
                "user": actor,
                "action": CaseAction.WORK,
                "case_id": case_id,
            }
        )
    case = case_check(actor, case_id, CaseAction.WORK, lock=lock)
    if case.case_type != CaseType.CHILD_SAFETY:
        raise CaseNotFound(
            denial={
                "user": actor,
                "action": CaseAction.WORK,
                "case_id": case_id,
            }
        )
    return case
