"""Writes of the cases domain: keyword-only, typed, atomic, and each writes its audit event.

Grouped by sub-domain; import from here. The workflow's ``case_transition`` lives with its
transition table in ``cases.workflow``.
"""

from cases.services.cases import (
    attachment_add,
    case_assign,
    case_team_change,
    note_add,
    user_notice_applies,
    user_notice_update,
)
from cases.services.deadlines import case_deadlines_recompute, deadline_override
from cases.services.intake import (
    INCIDENT_SOURCES,
    IntakeInput,
    case_intake,
    incident_authority,
    intake_input,
)
from cases.services.preservations import preservation_extend, preservation_release
from cases.services.processes import TargetInput, process_update, targets_add
from cases.services.routing import team_route
from cases.services.submissions import Submission, SubmissionKeyReused, case_submit

__all__ = [
    "INCIDENT_SOURCES",
    "IntakeInput",
    "Submission",
    "SubmissionKeyReused",
    "TargetInput",
    "attachment_add",
    "case_assign",
    "case_deadlines_recompute",
    "case_intake",
    "case_submit",
    "case_team_change",
    "deadline_override",
    "incident_authority",
    "intake_input",
    "note_add",
    "preservation_extend",
    "preservation_release",
    "process_update",
    "targets_add",
    "team_route",
    "user_notice_applies",
    "user_notice_update",
]
