"""Reminder steps: when each deadline reminds, escalates or releases. The one place for it.

A *profile* lists the steps of one sort of deadline: reminders some time ``before`` the due
time, then (``overdue_every``) an escalation to the team's supervisors when it falls due,
repeated at that interval while the deadline stays open; preservation holds instead are
*released* at expiry, after a final warning (the last ``before`` step). Which profile a
deadline follows:

1. a profile named after its kind (``preservation_expiry``, ``backup_hold``), else
2. ``emergency`` for the first decision on an emergency request and for the response
   deadline of an emergency case (clocks of hours: 30 and 10 minutes before), else
3. ``default``.

``DEFAULT_REMINDER_STEPS`` below are the defaults; ``settings.LIAISON_REMINDER_STEPS``
(environment ``LIAISON_REMINDER_STEPS``, JSON) replaces any profile key, e.g.
``{"default": {"before": ["3d", "1d", "4h"]}}``. docs/reminders.md documents them.

Step codes are stored on the deadline (``next_reminder_step``) and in ``Reminder.step``:
the ``before`` label (``"7d"``, ``"2h"``, ``"30m"``), ``"release"``, or ``"overdue:N"``
(the N-th escalation). This module is pure: no database, no clock of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cases.models import DeadlineKind

DEFAULT_REMINDER_STEPS: dict[str, dict[str, Any]] = {
    # Most deadlines: a week ahead, two days, the day before, two hours before; once due,
    # the supervisors are told, and again every day while it stays open.
    "default": {"before": ["7d", "2d", "1d", "2h"], "overdue_every": "1d"},
    # Emergency clocks run in hours (first decision within 1 h, EPOC emergencies 8 h).
    "emergency": {"before": ["30m", "10m"], "overdue_every": "1d"},
    # A hold lapses at expiry: two weeks leave the officer time to renew; the last step
    # (1 day) is the final warning, and the hold is released at expiry, but never sooner
    # than ``release_grace`` after that warning went out (it may have gone out late).
    DeadlineKind.PRESERVATION_EXPIRY.value: {
        "before": ["14d", "7d", "2d", "1d"],
        "overdue_every": "1d",  # only when the release is held back (legal process)
        "release_on_expiry": True,
        "release_grace": "1h",
    },
    # "The backup may be released" is a permission, not a duty: no escalation.
    DeadlineKind.BACKUP_HOLD.value: {"before": ["1d"], "overdue_every": None},
}

# Deadlines that follow the emergency profile when their case is an emergency.
EMERGENCY_KINDS = frozenset({DeadlineKind.FIRST_DECISION, DeadlineKind.RESPONSE})

_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
OVERDUE_PREFIX = "overdue:"
RELEASE = "release"


class Phase(StrEnum):
    BEFORE = "before"  # a reminder ahead of the due time
    RELEASE = "release"  # a hold reaches expiry
    OVERDUE = "overdue"  # the deadline passed: escalation


def duration_parse(text: str) -> timedelta:
    """``"7d"``, ``"2h"``, ``"30m"`` to a timedelta."""
    match = _DURATION.match(str(text))
    if not match:
        raise ImproperlyConfigured(f"LIAISON_REMINDER_STEPS: {text!r} is not like 7d, 2h, 30m")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@dataclass(frozen=True)
class Step:
    """One step of one deadline's schedule; ``at`` is when it falls due."""

    code: str
    at: datetime
    phase: Phase

    @property
    def overdue_number(self) -> int:
        return int(self.code.removeprefix(OVERDUE_PREFIX)) if self.phase == Phase.OVERDUE else 0


@dataclass(frozen=True)
class Profile:
    """The steps of one sort of deadline, parsed from the configuration."""

    name: str
    before: tuple[tuple[str, timedelta], ...]  # longest lead first, i.e. in time order
    overdue_every: timedelta | None
    release_on_expiry: bool = False
    release_grace: timedelta = timedelta(hours=1)

    @property
    def final_warning(self) -> str | None:
        """The last reminder before the due time: a hold is released only after it."""
        return self.before[-1][0] if self.before else None

    # --- the schedule -----------------------------------------------------------------

    def before_steps(self, due_at: datetime) -> list[Step]:
        return [Step(code, due_at - lead, Phase.BEFORE) for code, lead in self.before]

    def overdue_step(self, due_at: datetime, number: int) -> Step:
        # Without a release the first escalation is at the due time itself; after a
        # (held back) release, the first one comes an interval later.
        assert self.overdue_every is not None
        offset = number if self.release_on_expiry else number - 1
        return Step(
            f"{OVERDUE_PREFIX}{number}", due_at + offset * self.overdue_every, Phase.OVERDUE
        )

    def overdue_latest(self, due_at: datetime, now: datetime) -> int:
        """The number of the latest escalation whose time has come (0: none yet)."""
        if self.overdue_every is None:
            return 0
        first = self.overdue_step(due_at, 1).at
        if now < first:
            return 0
        return 1 + int((now - first) / self.overdue_every)

    def step(self, code: str, due_at: datetime) -> Step | None:
        """The step with ``code`` for a deadline due at ``due_at``; None if not in this profile."""
        for step in self.before_steps(due_at):
            if step.code == code:
                return step
        if code == RELEASE and self.release_on_expiry:
            return Step(RELEASE, due_at, Phase.RELEASE)
        if code.startswith(OVERDUE_PREFIX) and self.overdue_every is not None:
            number = code.removeprefix(OVERDUE_PREFIX)
            if number.isdigit() and int(number) >= 1:
                return self.overdue_step(due_at, int(number))
        return None

    def _after_before_steps(self, due_at: datetime, now: datetime) -> Step | None:
        if self.release_on_expiry:
            return Step(RELEASE, due_at, Phase.RELEASE)
        if self.overdue_every is not None:
            return self.overdue_step(due_at, max(1, self.overdue_latest(due_at, now)))
        return None

    def start(self, due_at: datetime, now: datetime) -> Step | None:
        """The first step of a deadline whose schedule (re)starts at ``now``.

        Steps whose time passed before the deadline existed (or before it moved) are not
        "missed" and are skipped, with two exceptions that are sent at once: the final
        warning, when the deadline is already inside its window (a hold received 12 hours
        before it lapses must still be warned about), and the escalation of a deadline
        that is already overdue. The returned step's ``at`` is then ``now``.
        """
        before = self.before_steps(due_at)
        if now < due_at:
            upcoming = [step for step in before if step.at > now]
            if upcoming:
                return upcoming[0]
            if before:
                return Step(before[-1].code, now, Phase.BEFORE)
        step = self._after_before_steps(due_at, now)
        if step is not None and step.at < now:
            return Step(step.code, now, step.phase)
        return step

    def after(self, step: Step, due_at: datetime, now: datetime) -> Step | None:
        """The step that follows ``step``, which has just been acted on at ``now``.

        Missed ``before`` steps come one after the other (each is sent, marked late);
        escalations that were all missed collapse into the latest one: they repeat the
        same news, and a day-long outage should not bring a burst of them.
        """
        if step.phase == Phase.BEFORE:
            codes = [code for code, _lead in self.before]
            index = codes.index(step.code) if step.code in codes else len(codes) - 1
            if index + 1 < len(codes):
                return self.before_steps(due_at)[index + 1]
            return self._after_before_steps(due_at, now)
        if self.overdue_every is None:
            return None
        following = max(step.overdue_number + 1, self.overdue_latest(due_at, now))
        return self.overdue_step(due_at, following)


def _profile_parse(name: str, raw: dict[str, Any]) -> Profile:
    before = [(str(label).strip(), duration_parse(label)) for label in raw.get("before", [])]
    before.sort(key=lambda item: item[1], reverse=True)
    codes = [code for code, _lead in before]
    if len(set(codes)) != len(codes):
        raise ImproperlyConfigured(f"LIAISON_REMINDER_STEPS[{name!r}]: a step is listed twice")
    every = raw.get("overdue_every")
    return Profile(
        name=name,
        before=tuple(before),
        overdue_every=duration_parse(every) if every else None,
        release_on_expiry=bool(raw.get("release_on_expiry", False)),
        release_grace=duration_parse(raw.get("release_grace", "1h")),
    )


@dataclass(frozen=True)
class ReminderSettings:
    """Every profile, parsed once per sweep from the defaults and the settings."""

    profiles: dict[str, Profile]

    @classmethod
    def from_settings(cls) -> ReminderSettings:
        overrides: dict[str, dict[str, Any]] = getattr(settings, "LIAISON_REMINDER_STEPS", {})
        merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in DEFAULT_REMINDER_STEPS.items()}
        for name, values in (overrides or {}).items():
            merged.setdefault(name, {}).update(values)
        return cls({name: _profile_parse(name, raw) for name, raw in merged.items()})

    def profile_for(self, kind: str, *, emergency: bool) -> Profile:
        if kind in self.profiles:
            return self.profiles[kind]
        if kind == DeadlineKind.FIRST_DECISION or (emergency and kind in EMERGENCY_KINDS):
            return self.profiles["emergency"]
        return self.profiles["default"]


def reminder_schedule(
    *, kind: str, due_at: datetime, emergency: bool, now: datetime
) -> dict[str, Any]:
    """The schedule fields of a deadline that is new, moved or reopened at ``now``.

    For the services that write deadlines: ``Deadline(..., **reminder_schedule(...))``.
    """
    profile = ReminderSettings.from_settings().profile_for(kind, emergency=emergency)
    step = profile.start(due_at, now)
    return {
        "next_reminder_at": step.at if step else None,
        "next_reminder_step": step.code if step else "",
    }
