"""Who hears about a deadline: the people who work the case, its supervisors, its officer.

- Reminders go to the case's assignee; an unassigned case's reminders go to everyone in
  the team who could take it (``selectors.assignable_users``, the assignee picker's rule).
- Once a deadline is overdue (and when a hold is released or held back), the team's
  supervisors are told as well: that is the escalation.
- A preservation's reminders and its release also go to the officer who asked for it, if
  the case gate still lets them see the request (verified officer, active agency), with a
  link to their portal: extending the hold is theirs to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cases.models import Case, DeadlineKind
from cases.reminders.steps import Phase
from cases.selectors import assignable_users, cases_visible_to
from portal.accounts.models import User
from portal.accounts.roles import Role


class Audience(StrEnum):
    STAFF = "staff"  # works the case
    SUPERVISOR = "supervisor"  # escalation
    OFFICER = "officer"  # requested the hold


@dataclass(frozen=True)
class Recipient:
    user: User
    audience: Audience


@dataclass
class RecipientCache:
    """Team lookups made once per sweep run, not once per deadline."""

    workers: dict[tuple[int, str], list[User]] = field(default_factory=dict)
    supervisors: dict[int, list[User]] = field(default_factory=dict)

    def team_workers(self, case: Case) -> list[User]:
        key = (case.team_id, case.case_type)
        if key not in self.workers:
            self.workers[key] = list(assignable_users(case))
        return self.workers[key]

    def team_supervisors(self, team_id: int) -> list[User]:
        if team_id not in self.supervisors:
            self.supervisors[team_id] = list(
                User.objects.filter(teams=team_id, is_active=True, groups__name=Role.SUPERVISOR)
                .distinct()
                .order_by("pk")
            )
        return self.supervisors[team_id]


def _officer_user(case: Case) -> User | None:
    officer = case.submitting_officer
    if officer is None or not officer.user.is_active:
        return None
    if not cases_visible_to(officer.user).filter(pk=case.pk).exists():
        return None
    return officer.user


def reminder_recipients(
    *, case: Case, deadline_kind: str, phase: Phase, cache: RecipientCache, escalate: bool
) -> list[Recipient]:
    """Everyone to notify for one step, each person once.

    ``escalate`` adds the supervisors (overdue steps, a release held back or done).
    """
    found: dict[int, Recipient] = {}

    def add(user: Any, audience: Audience) -> None:
        if user is not None and user.is_active and user.pk not in found:
            found[user.pk] = Recipient(user, audience)

    if escalate:  # first, so a supervisor who could also take the case reads the escalation
        for user in cache.team_supervisors(case.team_id):
            add(user, Audience.SUPERVISOR)
    assignee = case.assignee
    if assignee is not None and assignee.is_active:
        add(assignee, Audience.STAFF)
    else:
        for user in cache.team_workers(case):
            add(user, Audience.STAFF)
    if not found:  # nobody in the team can take it: the supervisors must hear of it
        for user in cache.team_supervisors(case.team_id):
            add(user, Audience.SUPERVISOR)
    if deadline_kind == DeadlineKind.PRESERVATION_EXPIRY and phase != Phase.OVERDUE:
        add(_officer_user(case), Audience.OFFICER)
    return list(found.values())
