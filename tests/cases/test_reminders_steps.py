"""The reminder schedule (cases/reminders/steps.py): pure arithmetic, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from cases.models import DeadlineKind as D
from cases.reminders.steps import Phase, ReminderSettings, reminder_schedule

DUE = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def steps(settings):
    settings.LIAISON_REMINDER_STEPS = {}
    return ReminderSettings.from_settings()


def test_default_profile_reminds_a_week_two_days_a_day_and_two_hours_ahead(steps):
    profile = steps.profile_for(D.RESPONSE, emergency=False)
    codes_and_times = [(s.code, s.at) for s in profile.before_steps(DUE)]
    assert codes_and_times == [
        ("7d", DUE - 7 * DAY),
        ("2d", DUE - 2 * DAY),
        ("1d", DUE - DAY),
        ("2h", DUE - 2 * HOUR),
    ]
    assert profile.final_warning == "2h"


def test_escalation_at_the_due_time_then_daily(steps):
    profile = steps.profile_for(D.RESPONSE, emergency=False)
    last = profile.step("2h", DUE)
    first = profile.after(last, DUE, now=DUE - HOUR)
    assert (first.code, first.at, first.phase) == ("overdue:1", DUE, Phase.OVERDUE)
    second = profile.after(first, DUE, now=DUE)
    assert (second.code, second.at) == ("overdue:2", DUE + DAY)


def test_missed_escalations_collapse_into_the_latest(steps):
    # GIVEN the first escalation went out, then nothing ran for five days
    profile = steps.profile_for(D.RESPONSE, emergency=False)
    first = profile.step("overdue:1", DUE)
    # WHEN the schedule moves on five and a half days later
    following = profile.after(first, DUE, now=DUE + 5 * DAY + 12 * HOUR)
    # THEN the next escalation is the one due now (the sixth), not five in a row
    assert following.code == "overdue:6"
    assert following.at == DUE + 5 * DAY
    assert profile.overdue_latest(DUE, DUE + 5 * DAY + 12 * HOUR) == 6


def test_missed_reminders_before_the_due_time_follow_one_another(steps):
    profile = steps.profile_for(D.RESPONSE, emergency=False)
    late = DUE + HOUR  # everything before the due time was missed
    step = profile.step("7d", DUE)
    seen = []
    while step is not None and step.at <= late:
        seen.append(step.code)
        step = profile.after(step, DUE, now=late)
    assert seen == ["7d", "2d", "1d", "2h", "overdue:1"]


def test_a_new_deadline_skips_steps_that_passed_before_it_existed(steps):
    now = DUE - 3 * DAY
    schedule = reminder_schedule(kind=D.RESPONSE, due_at=DUE, emergency=False, now=now)
    assert schedule == {"next_reminder_at": DUE - 2 * DAY, "next_reminder_step": "2d"}


def test_a_new_deadline_inside_its_final_window_is_warned_at_once(steps):
    now = DUE - HOUR
    schedule = reminder_schedule(kind=D.RESPONSE, due_at=DUE, emergency=False, now=now)
    assert schedule == {"next_reminder_at": now, "next_reminder_step": "2h"}


def test_a_deadline_recorded_when_already_overdue_escalates_at_once(steps):
    now = DUE + 3 * DAY + HOUR
    schedule = reminder_schedule(kind=D.RESPONSE, due_at=DUE, emergency=False, now=now)
    assert schedule == {"next_reminder_at": now, "next_reminder_step": "overdue:4"}


def test_emergency_deadlines_remind_thirty_and_ten_minutes_ahead(steps):
    first_decision = steps.profile_for(D.FIRST_DECISION, emergency=False)
    emergency_response = steps.profile_for(D.RESPONSE, emergency=True)
    assert first_decision.name == emergency_response.name == "emergency"
    assert [s.code for s in first_decision.before_steps(DUE)] == ["30m", "10m"]
    # a hold on an emergency case keeps the preservation profile
    assert steps.profile_for(D.PRESERVATION_EXPIRY, emergency=True).name == "preservation_expiry"


def test_preservations_are_released_at_expiry_after_the_final_warning(steps):
    profile = steps.profile_for(D.PRESERVATION_EXPIRY, emergency=False)
    assert [s.code for s in profile.before_steps(DUE)] == ["14d", "7d", "2d", "1d"]
    assert profile.final_warning == "1d"
    release = profile.after(profile.step("1d", DUE), DUE, now=DUE - DAY)
    assert (release.code, release.at, release.phase) == ("release", DUE, Phase.RELEASE)
    # held back (legal process on the case): escalations follow, daily from the next day
    held = profile.after(release, DUE, now=DUE)
    assert (held.code, held.at) == ("overdue:1", DUE + DAY)


def test_backup_hold_reminds_once_and_never_escalates(steps):
    profile = steps.profile_for(D.BACKUP_HOLD, emergency=False)
    assert profile.after(profile.step("1d", DUE), DUE, now=DUE) is None


def test_settings_replace_a_profile_in_one_place(settings):
    settings.LIAISON_REMINDER_STEPS = {"default": {"before": ["4h", "3d"]}}
    profile = ReminderSettings.from_settings().profile_for(D.RESPONSE, emergency=False)
    assert [s.code for s in profile.before_steps(DUE)] == ["3d", "4h"]  # sorted by lead
    assert profile.overdue_every == DAY  # keys not given keep their default


@pytest.mark.parametrize("bad", [["7 weeks"], ["2h", "2h"], ["-1d"]])
def test_a_malformed_step_is_a_configuration_error(settings, bad):
    settings.LIAISON_REMINDER_STEPS = {"default": {"before": bad}}
    with pytest.raises(ImproperlyConfigured):
        ReminderSettings.from_settings()
