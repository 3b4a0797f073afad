"""Writes of disclosures: keyword-only, typed, atomic, each with its access-log row.

Every service re-checks the case gate inside its transaction (``case_check`` with
``CaseAction.WORK``), locks the disclosure it changes, and moves state by compare-and-set
(``filter(pk=..., state=old).update(...)``), so two approvers never both release and a
file is never added to a disclosure that was sent for approval meanwhile. The database
backs the same rules up (see ``models``): released rows cannot change, files can only be
added to drafts, a released row names two different people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.errors import ConcurrentUpdate
from cases.models import Attachment, Case, CaseType, LegalProcess, TimelineKind
from cases.policy import CaseAction
from cases.selectors import case_check, denials_logged
from cases.services.timeline import timeline_event_add
from cases.uploads import upload_stored
from portal.accounts.models import User
from portal.audit.services import access_event_record
from reports.disclosures import policy
from reports.disclosures.files import FOLDER, count_records, produced_check
from reports.disclosures.models import (
    Disclosure,
    DisclosureKind,
    DisclosurePackage,
    DisclosureState,
    DownloadRenewal,
    NotProducedReason,
    ProducedFile,
)

EXPLANATION_MAX = 5000


@dataclass(frozen=True)
class DisclosureInput:
    """What the preparer states about a disclosure (printed in the letter)."""

    process_id: int
    kind: str
    categories: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    not_produced_categories: list[str] = field(default_factory=list)
    not_produced_reason: str = ""
    explanation: str = ""
    corrects_id: int | None = None


def _input_problems(case: Case, process: LegalProcess, data: DisclosureInput) -> dict[str, str]:
    """Field -> why the statement is wrong; one rule a condition."""
    problems: dict[str, str] = {}
    asked = set(process.data_categories)
    kind = data.kind
    if kind not in DisclosureKind.values:
        problems["kind"] = _("Choose a production, a no-records letter or a rejection letter.")
        return problems
    if kind in (DisclosureKind.PRODUCTION, DisclosureKind.NO_RECORDS):
        if case.status not in policy.PRODUCING_STATUSES:
            problems["kind"] = _("Records are produced only once the request is approved.")
    elif case.status not in policy.REJECTION_STATUSES:
        problems["kind"] = _("This request can no longer be answered with a rejection letter.")
    if kind == DisclosureKind.PRODUCTION and not data.categories:
        problems["categories"] = _("Say which categories of records are produced.")
    if kind != DisclosureKind.PRODUCTION and data.categories:
        problems["categories"] = _("Only a production produces records.")
    # Producing more than the process asked for is a disclosure without legal basis.
    if asked and set(data.categories) - asked:
        problems["categories"] = _("Produce only the categories the process asks for.")
    if data.date_from and data.date_to and data.date_from > data.date_to:
        problems["date_to"] = _("The end of the range is before its start.")
    if data.date_from and process.date_from and data.date_from < process.date_from:
        problems["date_from"] = _("The process asks for records from %(d)s only.") % {
            "d": process.date_from.isoformat()
        }
    if data.date_to and process.date_to and data.date_to > process.date_to:
        problems["date_to"] = _("The process asks for records until %(d)s only.") % {
            "d": process.date_to.isoformat()
        }
    if data.not_produced_reason not in NotProducedReason.values:
        problems["not_produced_reason"] = _("Choose a reason from the list.")
    if kind == DisclosureKind.NO_RECORDS and not data.not_produced_reason:
        problems["not_produced_reason"] = _("Say why there are no records.")
    if data.not_produced_categories and not data.not_produced_reason:
        problems["not_produced_reason"] = _("Say why these categories are not produced.")
    if kind == DisclosureKind.REJECTION and not data.explanation.strip():
        problems["explanation"] = _("Give the grounds on which the process is refused.")
    if len(data.explanation) > EXPLANATION_MAX:
        problems["explanation"] = _("At most %(n)s characters.") % {"n": EXPLANATION_MAX}
    return problems


@denials_logged
def disclosure_create(*, case: Case, actor: User, data: DisclosureInput) -> Disclosure:
    """Start a disclosure (a draft) answering one process of the case.

    Several may answer the same process (rolling productions); one that ``corrects``
    another must answer the same process and correct a released one.
    """
    with transaction.atomic():
        case = case_check(actor, case.pk, CaseAction.WORK, lock=True)
        if case.case_type != CaseType.REQUEST:
            raise ValidationError(_("Only a law-enforcement request is answered by disclosure."))
        process = case.processes.filter(pk=data.process_id).first()
        if process is None:
            raise ValidationError({"process": _("Choose a process of this request.")})
        problems = _input_problems(case, process, data)
        corrects = None
        if data.corrects_id is not None:
            corrects = Disclosure.objects.filter(pk=data.corrects_id, case=case).first()
            if corrects is None or not corrects.is_released or corrects.process_id != process.pk:
                problems["corrects"] = _("Only a released disclosure of this process is corrected.")
        if problems:
            raise ValidationError(problems)
        # The case row is locked: numbers are handed out one at a time.
        number = (case.disclosures.aggregate(n=Max("number"))["n"] or 0) + 1
        disclosure = Disclosure(
            reference=f"{case.reference}-D{number:02d}",
            case=case,
            process=process,
            number=number,
            kind=data.kind,
            categories=sorted(set(data.categories)),
            date_from=data.date_from,
            date_to=data.date_to,
            not_produced_categories=sorted(set(data.not_produced_categories)),
            not_produced_reason=data.not_produced_reason,
            explanation=data.explanation.strip(),
            corrects=corrects,
            preparer=actor,
        )
        disclosure.full_clean(exclude=["case", "process", "preparer", "corrects"])
        disclosure.save()
        timeline_event_add(
            case=case,
            kind=TimelineKind.ATTACHMENT,
            actor=actor,
            message=gettext_noop("Disclosure %(reference)s started (%(kind)s)."),
            params={"reference": disclosure.reference, "kind": data.kind},
        )
        access_event_record(
            action="disclosure_create",
            actor=actor,
            obj=disclosure,
            case_reference=case.reference,
            details={"kind": data.kind, "process": process.pk, "corrects": data.corrects_id},
        )
    return disclosure


def _locked_draft(disclosure: Disclosure, actor: User) -> Disclosure:
    case_check(actor, disclosure.case_id, CaseAction.WORK)
    locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    if locked.state != DisclosureState.DRAFT:
        raise ConcurrentUpdate(_("This disclosure is no longer a draft; reload the case."))
    return locked


@denials_logged
def disclosure_file_add(
    *,
    disclosure: Disclosure,
    actor: User,
    name: str = "",
    data: bytes = b"",
    attachment: Attachment | None = None,
    record_count: int | None = None,
) -> ProducedFile:
    """Add one produced file to a draft production: uploaded bytes, or a case attachment.

    Stored under its SHA-256 and read-only; ``record_count`` is counted from a CSV or JSON
    array when not given, and must be given for anything else.
    """
    if attachment is not None:
        if attachment.case_id != disclosure.case_id:
            raise ValidationError({"attachment": _("Choose a file of this case.")})
        with attachment.file.open("rb") as handle:
            data = handle.read()
        name = attachment.original_name
    checked = produced_check(name=name, data=data)
    if record_count is None:
        record_count = count_records(checked.name, checked.data)
    if record_count is None:
        raise ValidationError({"record_count": _("Say how many records the file holds.")})
    if record_count < 0:
        raise ValidationError({"record_count": _("The number of records cannot be negative.")})
    with upload_stored(checked, folder=FOLDER) as stored, transaction.atomic():
        locked = _locked_draft(disclosure, actor)
        if locked.kind != DisclosureKind.PRODUCTION:
            raise ValidationError({"file": _("Only a production has files.")})
        if locked.files.filter(name=checked.name).exists():
            raise ValidationError(
                {"file": _("A file named %(name)s is already part of it.") % {"name": checked.name}}
            )
        produced = ProducedFile.objects.create(
            disclosure=locked,
            file=stored,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            record_count=record_count,
            source_attachment=attachment,
            added_by=actor,
        )
        access_event_record(
            action="disclosure_file_add",
            actor=actor,
            obj=produced,
            case_reference=locked.case.reference,
            details={
                "disclosure": locked.reference,
                "sha256": checked.sha256,
                "size": checked.size,
            },
        )
    return produced


@denials_logged
def disclosure_file_remove(*, produced: ProducedFile, actor: User) -> None:
    """Take a file out of a draft (the stored bytes stay: other rows may share them)."""
    with transaction.atomic():
        locked = _locked_draft(produced.disclosure, actor)
        ProducedFile.objects.filter(pk=produced.pk, disclosure=locked).delete()
        access_event_record(
            action="disclosure_file_remove",
            actor=actor,
            object_type="disclosures.producedfile",
            object_id=str(produced.pk),
            case_reference=locked.case.reference,
            details={"disclosure": locked.reference, "sha256": produced.sha256},
        )


def _move(disclosure: Disclosure, old: str, **changes: object) -> None:
    if Disclosure.objects.filter(pk=disclosure.pk, state=old).update(**changes) != 1:
        raise ConcurrentUpdate(_("Someone else changed this disclosure; reload the case."))


@denials_logged
def disclosure_submit(*, disclosure: Disclosure, actor: User) -> Disclosure:
    """The preparer asks for release: the draft is frozen (no more files) for review."""
    with transaction.atomic():
        locked = _locked_draft(disclosure, actor)
        if locked.kind == DisclosureKind.PRODUCTION and not locked.files.exists():
            raise ValidationError(_("Add the produced files first."))
        _move(
            locked, DisclosureState.DRAFT, state=DisclosureState.READY, submitted_at=timezone.now()
        )
        access_event_record(
            action="disclosure_submit",
            actor=actor,
            obj=locked,
            case_reference=locked.case.reference,
        )
    locked.refresh_from_db()
    return locked


@denials_logged
def disclosure_return(*, disclosure: Disclosure, actor: User, reason: str) -> Disclosure:
    """Send a disclosure awaiting approval back to draft, with the reason (internal)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what must change.")})
    with transaction.atomic():
        case = case_check(actor, disclosure.case_id, CaseAction.WORK)
        _move(disclosure, DisclosureState.READY, state=DisclosureState.DRAFT, submitted_at=None)
        timeline_event_add(
            case=case,
            kind=TimelineKind.NOTE,
            actor=actor,
            message=gettext_noop("Disclosure %(reference)s sent back: %(reason)s"),
            params={"reference": disclosure.reference, "reason": reason[:500]},
        )
        access_event_record(
            action="disclosure_return",
            actor=actor,
            obj=disclosure,
            case_reference=case.reference,
        )
    disclosure.refresh_from_db()
    return disclosure


def preparers_of(disclosure: Disclosure) -> set[int]:
    """Everyone who prepared it: who started it and who added any of its files."""
    people = {disclosure.preparer_id}
    people.update(disclosure.files.values_list("added_by_id", flat=True).distinct())
    return people


@denials_logged
def disclosure_release(*, disclosure: Disclosure, actor: User) -> Disclosure:
    """A second person (legal or supervisor) releases it: from now on it is immutable.

    The package (signed PDF, ZIP) is rendered by ``tasks.disclosure_render``, queued when
    this transaction commits; the officer is told once it can be downloaded.
    """
    from reports.disclosures.tasks import render_enqueue

    with transaction.atomic():
        case = case_check(actor, disclosure.case_id, CaseAction.WORK, lock=True)
        locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        refusal = policy.release_refusal(locked, actor, preparers_of(locked))
        if refusal:
            raise ValidationError(refusal)
        now = timezone.now()
        _move(
            locked,
            DisclosureState.READY,
            state=DisclosureState.RELEASED,
            approver=actor,
            released_at=now,
        )
        DisclosurePackage.objects.create(disclosure=locked)
        timeline_event_add(
            case=case,
            kind=TimelineKind.APPROVAL,
            actor=actor,
            message=gettext_noop("Disclosure %(reference)s released (%(kind)s)."),
            params={"reference": locked.reference, "kind": locked.kind},
            public=True,
        )
        access_event_record(
            action="disclosure_release",
            actor=actor,
            obj=locked,
            case_reference=case.reference,
            details={"preparer": locked.preparer.get_username(), "kind": locked.kind},
        )
        transaction.on_commit(lambda: render_enqueue(locked.pk))
    locked.refresh_from_db()
    return locked


@denials_logged
def disclosure_download_renew(*, disclosure: Disclosure, actor: User) -> DownloadRenewal:
    """Staff give the officers of the case's agency a new download window (the setting's
    days from now) after the link expired, instead of the officer asking in the
    conversation. The release stays untouched; the renewal is a row of its own, bound
    to the agency and audited. The officer is told the link works again."""
    from reports.disclosures.links import download_expired

    with transaction.atomic():
        case = case_check(actor, disclosure.case_id, CaseAction.WORK, lock=True)
        locked = Disclosure.objects.select_related("case").get(pk=disclosure.pk)
        if locked.state != DisclosureState.RELEASED:
            raise ValidationError(_("Only a released disclosure has a download link."))
        if case.agency_id is None:
            raise ValidationError(_("This request has no agency to send a link to."))
        if not download_expired(locked):
            raise ValidationError(_("The download link still works; renew it once it expired."))
        renewal = DownloadRenewal(
            disclosure=locked,
            agency_id=case.agency_id,
            expires_at=timezone.now() + timedelta(days=policy.download_days()),
            renewed_by=actor,
        )
        renewal.full_clean()
        renewal.save()
        access_event_record(
            action="disclosure_download_renew",
            actor=actor,
            obj=locked,
            case_reference=case.reference,
            details={"agency": case.agency_id, "expires_at": renewal.expires_at.isoformat()},
        )
        _notify_renewed(locked, renewal)  # in the transaction, as on release (package.py)
    return renewal


def _notify_renewed(disclosure: Disclosure, renewal: DownloadRenewal) -> None:
    from django.urls import reverse
    from django.utils import translation

    from portal.notifications.services import notification_send

    officer = disclosure.case.submitting_officer
    if officer is None or officer.agency_id != renewal.agency_id:
        return
    user = officer.user
    with translation.override(getattr(user, "language", "") or None):
        notification_send(
            user=user,
            subject=_("Download of %(ref)s available again") % {"ref": disclosure.reference},
            body=_("The download link of %(ref)s works again until %(until)s (UTC).")
            % {
                "ref": disclosure.reference,
                "until": renewal.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            },
            dedupe_key=f"disclosure-renewed:{renewal.pk}",
            url=reverse("officer:request", args=[disclosure.case.reference]),
            kind="disclosure_released",
        )
