"""Who may do what in the cases domain: the ONE home of the domain's access rules.

Every access rule of ``cases`` lives here, so a reader finds any of them in one hop
(ADR 0025): the domain's capabilities and the roles holding them, which roles work which
case type, which roles see cases through their teams, who may be assigned a case, when a
user acts as an officer, and an officer's good standing (delegated to the platform's one
function, ``officer_access_refusal``). The transition table (``cases/workflow.py``) names
its role sets from here; the gate (``cases/selectors.py``) turns ``case_visibility`` into
querysets. The platform (``portal/accounts/roles.py``) keeps only the generic roles and
its own capabilities (audit log, officer management, submitting requests, admin).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from cases.models import Case, CaseType, Deadline, DeadlineKind
from portal.accounts.roles import Role, user_roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.accounts.models import User

    AnyUser = User | AnonymousUser | None


class CaseAction(StrEnum):
    """What a user wants to do with a case; the gate narrows visibility by it."""

    VIEW = "view"
    WORK = "work"  # assign, notes, transitions, holds
    SUPERVISE = "supervise"  # team change, deadline override


class CaseCapability(StrEnum):
    """The domain's coarse abilities (the object-level rule is ``case_visibility``)."""

    WORK_CASES = "work_cases"  # see the case queue, open cases of one's teams
    INTAKE = "intake"  # record process that arrived by e-mail, fax or post
    INTAKE_CHILD_SAFETY = "intake_child_safety"  # record a child-safety incident
    # Figures across every team, no case data (reports/transparency): the transparency
    # report; the operations dashboard (of one's teams); generating and publishing reports.
    SEE_FIGURES = "see_figures"
    SEE_OPERATIONS = "see_operations"
    PUBLISH_REPORTS = "publish_reports"
    # (overriding a deadline or moving a case to another team is ``CaseAction.SUPERVISE``:
    # the supervisors of the case's team, decided by ``case_visibility``)


CASE_CAPABILITIES: dict[CaseCapability, frozenset[Role]] = {
    CaseCapability.WORK_CASES: frozenset(
        {Role.RESPONDER, Role.LEGAL, Role.CHILD_SAFETY, Role.SUPERVISOR, Role.AUDITOR}
    ),
    CaseCapability.INTAKE: frozenset({Role.RESPONDER, Role.LEGAL, Role.SUPERVISOR}),
    CaseCapability.INTAKE_CHILD_SAFETY: frozenset({Role.CHILD_SAFETY, Role.SUPERVISOR}),
    CaseCapability.SEE_FIGURES: frozenset({Role.SUPERVISOR, Role.LEGAL, Role.AUDITOR}),
    CaseCapability.SEE_OPERATIONS: frozenset({Role.SUPERVISOR}),
    CaseCapability.PUBLISH_REPORTS: frozenset({Role.SUPERVISOR, Role.LEGAL}),
}

# Which roles work (see, are assigned, take steps on) which case type within their teams.
# Supervisors work every type; auditors only read (``case_visibility``).
CASE_TYPE_WORKERS: dict[str, frozenset[Role]] = {
    CaseType.REQUEST: frozenset({Role.RESPONDER, Role.LEGAL, Role.SUPERVISOR}),
    CaseType.CHILD_SAFETY: frozenset({Role.CHILD_SAFETY, Role.SUPERVISOR}),
}
# Which capability records a case of each type by staff intake.
INTAKE_CAPABILITY: dict[str, CaseCapability] = {
    CaseType.REQUEST: CaseCapability.INTAKE,
    CaseType.CHILD_SAFETY: CaseCapability.INTAKE_CHILD_SAFETY,
}
# Roles whose view of cases goes through their teams (an officer's through the agency).
TEAM_ROLES = frozenset(
    {Role.SUPERVISOR, Role.AUDITOR, Role.RESPONDER, Role.LEGAL, Role.CHILD_SAFETY}
)
# The role sets the transition table names (cases/workflow.py).
CASE_STAFF = frozenset({Role.RESPONDER, Role.LEGAL, Role.CHILD_SAFETY, Role.SUPERVISOR})
CASE_WORKERS = frozenset({Role.RESPONDER, Role.CHILD_SAFETY, Role.SUPERVISOR})
DECIDERS = frozenset({Role.LEGAL, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})


def may(user: AnyUser, capability: CaseCapability) -> bool:
    """Does ``user`` hold the domain capability (by any of their roles)?"""
    return bool(user_roles(user) & CASE_CAPABILITIES[capability])


def may_intake(user: AnyUser, case_type: str | None = None) -> bool:
    """May ``user`` record a case by staff intake: of ``case_type``, or of any type."""
    if case_type is not None:
        capability = INTAKE_CAPABILITY.get(case_type)
        return capability is not None and may(user, capability)
    return any(may(user, capability) for capability in INTAKE_CAPABILITY.values())


def intake_case_types(user: AnyUser) -> list[str]:
    """The case types ``user`` may record by staff intake, in ``CaseType`` order."""
    return [t for t in CaseType.values if may_intake(user, t)]


def acts_as_officer(user: AnyUser) -> bool:
    """An officer who holds no case-staff role: acts on what they may view (their own
    agency's requests), where staff must be able to work the case."""
    roles = user_roles(user)
    return Role.OFFICER in roles and not roles & CASE_STAFF


def gate_action(user: AnyUser) -> CaseAction:
    """The gate for steps both staff and officers take: withdrawal, and a hold's extension
    (from an officer of the requesting agency, the extension *is* the renewed request
    18 USC 2703(f)(2) speaks of)."""
    return CaseAction.VIEW if acts_as_officer(user) else CaseAction.WORK


def officer_agency_id(user: AnyUser) -> int | None:
    """The agency an officer in good standing acts for, else None; read once per user
    object (a request). Good standing is the platform's one rule, ``officer_access_refusal``
    (active, not locked, verified, agency active); the officer row is read with its agency
    and user unless the API token's query already loaded it."""
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, _AGENCY_CACHE):
        cached: int | None = getattr(user, _AGENCY_CACHE)
        return cached
    agency_id = _officer_agency_lookup(user)
    setattr(user, _AGENCY_CACHE, agency_id)
    return agency_id


_AGENCY_CACHE = "_liaison_officer_agency_id"
_TEAMS_CACHE = "_liaison_team_ids"


def _officer_agency_lookup(user: User) -> int | None:
    from portal.accounts.models import Officer, User
    from portal.accounts.onboarding import officer_access_refusal

    if User.officer.is_cached(user):  # loaded with the user (an API token's one query)
        if officer_access_refusal(user) is not None:
            return None
        return user.officer.agency_id
    officer = Officer.objects.filter(user=user).select_related("agency", "user").first()
    if officer is None or officer_access_refusal(officer.user) is not None:
        return None
    return officer.agency_id


def case_visibility(user: AnyUser, action: CaseAction) -> Q | None:
    """The cases ``user`` may act on with ``action``, as one Q; None: nothing at all.

    - responders and legal: request cases of their teams; child-safety analysts:
      child-safety cases of their teams (``CASE_TYPE_WORKERS``);
    - supervisors: every case of their teams, for every action;
    - auditors: every case of their teams, to view only;
    - officers in good standing: their own agency's requests, to view;
    - anyone else (admins as such, other teams): nothing.
    """
    parts = _visibility_parts(user, action)
    if not parts:
        return None
    combined = Q(**parts[0])
    for part in parts[1:]:
        combined |= Q(**part)
    return combined


def case_allows(user: AnyUser, case: Case, action: CaseAction) -> bool:
    """May ``user`` take ``action`` on this loaded case? The same rule as
    ``case_visibility``, read off the case's own fields instead of a query: a page asks it
    for several panels, and each ``exists()`` was a round trip (issue 9, item 17)."""
    for part in _visibility_parts(user, action):
        if all(_field_matches(case, lookup, wanted) for lookup, wanted in part.items()):
            return True
    return False


def _field_matches(case: Case, lookup: str, wanted: Any) -> bool:
    field, _, operator = lookup.partition("__")
    value = getattr(case, field)
    return value in wanted if operator == "in" else value == wanted


def _visibility_parts(user: AnyUser, action: CaseAction) -> list[dict[str, Any]]:
    """``case_visibility`` as field lookups (each a conjunction; the list a disjunction),
    the one form both the Q and ``case_allows`` are built from. Lookups are plain
    equality or ``__in`` on the case's own columns."""
    roles = user_roles(user)
    if not roles:
        return []
    teams = _team_ids(user) if roles & TEAM_ROLES else []  # an officer has no teams
    parts: list[dict[str, Any]] = []
    if teams and Role.SUPERVISOR in roles:
        parts.append({"team_id__in": teams})
    if teams and Role.AUDITOR in roles and action == CaseAction.VIEW:
        parts.append({"team_id__in": teams})
    if teams and action != CaseAction.SUPERVISE:
        for case_type, workers in CASE_TYPE_WORKERS.items():
            if roles & (workers - SUPERVISORS):
                parts.append({"team_id__in": teams, "case_type": case_type})
    if Role.OFFICER in roles and action == CaseAction.VIEW:
        agency_id = officer_agency_id(user)
        if agency_id is not None:
            parts.append({"agency_id": agency_id, "case_type": CaseType.REQUEST})
    return parts


def _team_ids(user: AnyUser) -> list[int]:
    if user is None or not user.is_authenticated:
        return []
    cached: list[int] | None = getattr(user, _TEAMS_CACHE, None)
    if cached is None:
        cached = sorted(user.teams.values_list("pk", flat=True)) if user.pk else []
        setattr(user, _TEAMS_CACHE, cached)
    return cached


def assignable_roles(case_type: str) -> frozenset[Role]:
    """The roles a case of ``case_type`` may be assigned to (within its team)."""
    return CASE_TYPE_WORKERS.get(case_type, SUPERVISORS)


def may_be_assigned(user: AnyUser, case: Case) -> bool:
    """Is ``user`` one of ``selectors.assignable_users(case)`` (active, in the case's team,
    with a role that works its type)? Asked of the signed-in user for "assign to me"."""
    return bool(
        user is not None
        and user.is_active
        and case.team_id in _team_ids(user)
        and user_roles(user) & assignable_roles(case.case_type)
    )


def case_material_readable(user: AnyUser, case_type: str) -> bool:
    """May ``user`` open the material itself (the attachments) of a case of this type?

    Child-safety material is handled only by those who work child-safety cases (18 USC
    2258B limits who handles it). An auditor sees that it exists and, in the access log,
    who opened it, but not the material, unless ``LIAISON_AUDITOR_READS_CHILD_SAFETY_MATERIAL``
    is on (ADR 0031). Everything else follows ``case_visibility``.
    """
    from django.conf import settings

    if case_type != CaseType.CHILD_SAFETY:
        return True
    roles = user_roles(user)
    if roles & CASE_TYPE_WORKERS[CaseType.CHILD_SAFETY]:
        return True
    return Role.AUDITOR in roles and settings.LIAISON_AUDITOR_READS_CHILD_SAFETY_MATERIAL


# What an officer sees of a request's deadlines (the officer portal and the API alike): the
# legal dates that concern the agency: its hold's expiry, the return date its process
# states, the end of the period its order authorised, the court order that must follow an
# emergency disclosure. The provider's internal SLAs and review steps (first decision,
# NDO review, user notice, a response date the provider set itself for process without a
# return date) are the provider's own business.
OFFICER_DEADLINE_KINDS = frozenset(
    {
        DeadlineKind.PRESERVATION_EXPIRY,
        DeadlineKind.AUTHORISATION_END,
        DeadlineKind.COURT_ORDER_DUE,
    }
)


def officer_sees_deadline(deadline: Deadline) -> bool:
    """Does the requesting agency see ``deadline`` (read with its ``process``)?"""
    if deadline.kind in OFFICER_DEADLINE_KINDS:
        return True
    return (
        deadline.kind == DeadlineKind.RESPONSE
        and deadline.process is not None
        and deadline.process.return_date is not None
    )
