"""Deadlines that passed unmet are recorded as missed.

A deadline closed as met *after* its due time was missed: the response, first decision
or report came late. Nothing recorded that until now, so "met" meant "done, some time".
This sweep turns such rows into ``missed`` (compare-and-set, idempotent) and notes it on
the case's timeline.

Why only once the deadline has closed, and never an open one at its due time: an open
deadline past due is the reminder sweep's to escalate every day while it stays open
(docs/reminders.md, ADR 0015), and the queue's "overdue" tab and ``Case.next_due_at``
read open deadlines. Marking it missed at the due time would stop the escalations and
take the case out of "overdue" exactly when it needs attention. So an open deadline past
due stays open (figures count it as missed: ``reports/transparency`` dashboard), and the
moment it closes late this sweep records the miss. ADR 0022 explains the choice.

Only duties whose lateness is the provider's count (``MISSABLE_KINDS``): a hold's expiry,
an authorised period ending, the enforcing state's refusal window, the agency's own court
order, "the backup may be released" are times that pass, not things the provider meets.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from cases.models import Deadline, DeadlineKind, DeadlineStatus, TimelineEvent, TimelineKind
from portal.audit.services import access_event_record

D = DeadlineKind
MISSABLE_KINDS: tuple[str, ...] = (
    D.RESPONSE,
    D.FIRST_DECISION,
    D.REPORT,
    D.BACKUP_COPY,
    D.USER_NOTICE,
    D.NDO_REVIEW,
)
# The partial index ``cases_deadline_met_late`` is built on exactly this condition (it
# holds only rows this sweep has still to turn, so it stays tiny); queries repeat it.
MET_LATE = Q(status=DeadlineStatus.MET, kind__in=MISSABLE_KINDS, closed_at__gt=F("due_at"))
BATCH = 500
ACTOR_LABEL = "task:cases.deadlines_missed_mark"


def deadlines_missed_mark(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Mark deadlines met after their due time as missed; returns how many. Safe to run
    concurrently and repeatedly: rows are claimed with ``SKIP LOCKED`` and changed only
    while still met."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            claimed = list(
                Deadline.objects.filter(MET_LATE)
                .select_for_update(skip_locked=True)
                .order_by()
                .values("pk", "case_id", "kind", "due_at", "closed_at")[:batch]
            )
            if not claimed:
                return total
            ids = [row["pk"] for row in claimed]
            changed = Deadline.objects.filter(MET_LATE, pk__in=ids).update(
                status=DeadlineStatus.MISSED, updated_at=now
            )
            TimelineEvent.objects.bulk_create(
                TimelineEvent(
                    case_id=row["case_id"],
                    at=now,
                    kind=TimelineKind.DEADLINE,
                    public=False,
                    message=gettext_noop(
                        "Deadline “%(kind)s” was missed: due %(due)s, done %(done)s."
                    ),
                    params={
                        "kind": _kind_name(row["kind"]),
                        "due": row["due_at"].isoformat(),
                        "done": row["closed_at"].isoformat() if row["closed_at"] else "",
                    },
                )
                for row in claimed
            )
            access_event_record(
                action="deadlines_missed",
                actor_label=ACTOR_LABEL,
                object_type="cases.deadline",
                details={"count": changed, "deadlines": ids[:50]},
            )
            total += changed
        if len(claimed) < batch:
            return total


def _kind_name(kind: str) -> str:
    """The kind's English label: timeline parameters are stored untranslated."""
    with translation.override("en"):
        return str(DeadlineKind(kind).label)
