"""The domain's tables: legal process, targets, cases, preservations, deadlines, timeline.

Business rules do not live here: deadlines are computed in ``cases.rules``, the state
machine is ``cases.workflow``, writes go through ``cases.services`` and reads that matter
through ``cases.selectors``. Models hold fields, constraints and the indexes of the hot
queries (each index names the query it serves).

The tables live in one module per sub-domain (legal process and targets, the case,
preservations and deadlines, the timeline of the work); this package exports them all, so
``from cases.models import Case`` and the migrations see one module as before.
"""

from cases.models.case import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    CaseType,
    Priority,
    ReceivedVia,
    ReferenceCounter,
    RoutingRule,
    SubmissionKey,
    UserNoticeStatus,
    UserNoticeWithheldReason,
)
from cases.models.deadlines import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    DigestRun,
    Preservation,
    PreservationStatus,
    Reminder,
    ReminderOutcome,
)
from cases.models.process import (
    DataCategory,
    LegalProcess,
    ProcessKind,
    Target,
    TargetKind,
)
from cases.models.timeline import (
    Approval,
    Attachment,
    Note,
    TimelineEvent,
    TimelineKind,
)

__all__ = [
    "OPEN_STATUSES",
    "Approval",
    "Attachment",
    "Case",
    "CaseStatus",
    "CaseType",
    "DataCategory",
    "Deadline",
    "DeadlineKind",
    "DeadlineStatus",
    "DigestRun",
    "LegalProcess",
    "Note",
    "Preservation",
    "PreservationStatus",
    "Priority",
    "ProcessKind",
    "ReceivedVia",
    "ReferenceCounter",
    "Reminder",
    "ReminderOutcome",
    "RoutingRule",
    "SubmissionKey",
    "Target",
    "TargetKind",
    "TimelineEvent",
    "TimelineKind",
    "UserNoticeStatus",
    "UserNoticeWithheldReason",
]
