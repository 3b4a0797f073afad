"""Filing one report with NCMEC: submit, upload each file, fileinfo each file, finish.

Every API call is written as a ``SubmissionStep`` *before* it is sent (``pending``, committed)
and completed with the answer. That record is what makes a crash safe:

- a step still ``pending`` when the submission resumes was sent but its answer was lost.
  A ``submit``, ``upload`` or ``fileinfo`` is never sent again blindly (a second upload would
  add a stray file, a second fileinfo is refused by NCMEC): the open NCMEC report is
  retracted and the report goes again as a new attempt. A ``finish`` is simply asked again:
  ``5102 already finished`` then means it was filed.
- steps already answered are never repeated: a resumed submission continues after them.
- NCMEC discards an unfinished report 24 hours after it was opened or 1 hour after its last
  change, whichever is later; when that time has passed, or NCMEC answers ``5001``, the
  report is submitted again under a new NCMEC report id.
- answers that say nothing was saved (1000, 1100, 1110, 1111, 1300, HTTP 5xx, no
  connection) are retried with backoff by the task; authentication and validation
  refusals, and codes the documentation does not list, stop the submission as ``failed``
  with the answer kept for a person to read.

Runs as the submitter system actor, outside any long transaction (each step commits).
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, timedelta
from typing import Any

import requests
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import LegalProcess, ProcessKind, TimelineKind
from cases.services import process_update
from cases.services.timeline import timeline_event_add
from portal.accounts.models import User
from portal.accounts.system import system_actor
from portal.audit.services import access_event_record
from portal.metrics import cybertip_submission_record
from reports.cybertip.build import file_details_xml, report_load, report_xml, reviews_for
from reports.cybertip.client import (
    GONE_CODES,
    TRANSIENT_CODES,
    Answer,
    NcmecClient,
    TransportError,
)
from reports.cybertip.models import (
    IN_FLIGHT,
    CyberTipReport,
    ReportFile,
    ReportStatus,
    Step,
    StepOutcome,
    SubmissionStep,
)
from reports.cybertip.redrive import submission_lock

OPEN_LIFETIME = timedelta(hours=24)  # NCMEC discards an unfinished report 24 h after opening
IDLE_LIFETIME = timedelta(hours=1)  # ... or 1 h after its last change, whichever is later
MAX_ATTEMPTS = 5


class SubmissionRetry(Exception):
    """Nothing final happened; try again later (the task backs off)."""


class _NewAttempt(Exception):
    def __init__(self, reason: str, *, discarded: bool = False) -> None:
        super().__init__(reason)
        self.discarded = discarded


def submitter() -> User:
    from reports.cybertip.apps import SUBMITTER

    return system_actor(SUBMITTER)


def discarded_by_ncmec(report: CyberTipReport, now: datetime) -> bool:
    """True once NCMEC's documented discard time for an unfinished report has passed."""
    if report.opened_at is None:
        return False
    last = report.last_change_at or report.opened_at
    return now >= max(report.opened_at + OPEN_LIFETIME, last + IDLE_LIFETIME)


def _step_begin(
    report: CyberTipReport, step: str, file: ReportFile | None, actor: User
) -> SubmissionStep:
    return SubmissionStep.objects.create(
        report=report,
        attempt=report.attempt,
        step=step,
        file=file,
        sent_at=timezone.now(),
        actor=actor,
    )


def _step_end(row: SubmissionStep, answer: Answer, outcome: str) -> None:
    row.outcome = outcome
    row.http_status = answer.http_status
    row.response_code = answer.code
    row.description = answer.description[:2000]
    row.request_id = answer.request_id[:128]
    row.ncmec_report_id = answer.report_id
    row.ncmec_file_id = answer.file_id[:64]
    row.answered_at = timezone.now()
    row.save()


def _outcome(answer: Answer) -> str:
    if answer.ok:
        return StepOutcome.OK
    if answer.code in GONE_CODES:
        return StepOutcome.DISCARDED
    if answer.code in TRANSIENT_CODES or (answer.code is None and answer.http_status >= 500):
        return StepOutcome.TRANSIENT
    return StepOutcome.REFUSED


def _remember(report: CyberTipReport, text: str) -> None:
    CyberTipReport.objects.filter(pk=report.pk).update(last_answer=text[:4000])
    report.last_answer = text[:4000]


def _call(
    report: CyberTipReport,
    step: str,
    file: ReportFile | None,
    actor: User,
    send: Any,
) -> tuple[SubmissionStep, Answer]:
    row = _step_begin(report, step, file, actor)
    try:
        answer: Answer = send()
    except TransportError as exc:
        if exc.maybe_sent:
            _remember(report, f"{step}: no answer ({exc}); outcome unknown")
        else:
            row.outcome = StepOutcome.TRANSIENT
            row.description = f"not sent: {exc}"
            row.answered_at = timezone.now()
            row.save()
            _remember(report, f"{step}: NCMEC not reachable ({exc})")
        raise SubmissionRetry(str(exc)) from exc
    outcome = _outcome(answer)
    _step_end(row, answer, outcome)
    request_id = f" (Request-ID {answer.request_id})" if answer.request_id else ""
    _remember(report, f"{step}: {answer.summary}{request_id}")
    if outcome == StepOutcome.TRANSIENT:
        raise SubmissionRetry(answer.summary)
    if outcome == StepOutcome.DISCARDED and step != Step.RETRACT:
        raise _NewAttempt(f"{step}: {answer.summary}", discarded=True)
    return row, answer


def _fail(report: CyberTipReport, actor: User, answer: Answer | None, reason: str) -> str:
    with transaction.atomic():
        CyberTipReport.objects.filter(pk=report.pk, status__in=IN_FLIGHT).update(
            status=ReportStatus.FAILED
        )
        known = answer is None or answer.known
        access_event_record(
            action="cybertip_failed",
            actor=actor,
            obj=report,
            case_reference=report.case.reference,
            outcome="failure",
            details={
                "reason": reason[:300],
                "response_code": None if answer is None else answer.code,
                "unknown_code": not known,
                "request_id": "" if answer is None else answer.request_id,
            },
        )
        timeline_event_add(
            case=report.case,
            kind=TimelineKind.NOTE,
            actor=actor,
            message=gettext_noop("CyberTipline submission stopped: %(reason)s"),
            params={"reason": reason[:300]},
        )
    # NCMEC refused it (an answer with a code), or we gave up (no answer to show).
    cybertip_submission_record(outcome="rejected" if answer is not None else "failed")
    return ReportStatus.FAILED


def _attempt_new(
    report: CyberTipReport, client: NcmecClient, actor: User, why: _NewAttempt
) -> None:
    """Abandon the current NCMEC transaction (retract it unless NCMEC already dropped it)
    and start the report again under a new report id."""
    if report.ncmec_report_id is not None and not why.discarded:
        ncmec_id = report.ncmec_report_id
        with contextlib.suppress(_NewAttempt):
            _call(report, Step.RETRACT, None, actor, lambda: client.retract(report_id=ncmec_id))
    if report.attempt + 1 >= MAX_ATTEMPTS:
        raise _GiveUp(f"{MAX_ATTEMPTS} attempts without a filed report; last: {why}")
    with transaction.atomic():
        CyberTipReport.objects.filter(pk=report.pk).update(
            attempt=report.attempt + 1,
            ncmec_report_id=None,
            opened_at=None,
            last_change_at=None,
            status=ReportStatus.SUBMITTING,
        )
        ReportFile.objects.filter(report=report).update(ncmec_file_id="", fileinfo_sent_at=None)
        access_event_record(
            action="cybertip_resubmit",
            actor=actor,
            obj=report,
            case_reference=report.case.reference,
            details={"reason": str(why)[:300], "attempt": report.attempt + 1},
        )


class _GiveUp(Exception):
    pass


def submission_run(*, report_id: int, session: requests.Session | None = None) -> str:
    """Take the report as far as it goes now; returns its status afterwards.

    Idempotent: a finished, retracted or failed report is left alone; a report in flight
    continues from its recorded steps. Raises ``SubmissionRetry`` when the caller should
    try again later.
    """
    with submission_lock(report_id) as alone:
        if not alone:  # another run is filing it now (a redriven message and the original)
            return report_load(report_id).status
        return _run(report_id, session)


def _run(report_id: int, session: requests.Session | None) -> str:
    actor = submitter()
    client = NcmecClient(session=session)
    for _round in range(MAX_ATTEMPTS + 1):
        report = report_load(report_id)
        if report.status not in IN_FLIGHT:
            return report.status
        try:
            return _advance(report, client, actor)
        except _NewAttempt as why:
            try:
                _attempt_new(report, client, actor, why)
            except _GiveUp as stop:
                return _fail(report, actor, None, str(stop))
        except _Refused as refused:
            return _fail(report, actor, refused.answer, refused.answer.summary)
        except ValidationError as invalid:
            # The stored report no longer passes the checks (e.g. edited data, a new
            # schema): nothing was sent for it; a person must fix it.
            fields = "; ".join(f"{k}: {' '.join(m)}" for k, m in invalid.message_dict.items())
            _remember(report, f"not sent, the report is invalid: {fields}")
            return _fail(report, actor, None, f"report invalid: {fields}")
    return _fail(report_load(report_id), actor, None, "too many attempts")


class _Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.summary)
        self.answer = answer


def _checked(step: str, row: SubmissionStep, answer: Answer) -> Answer:
    if row.outcome == StepOutcome.REFUSED:
        raise _Refused(answer)
    return answer


def _advance(report: CyberTipReport, client: NcmecClient, actor: User) -> str:
    now = timezone.now()
    steps = list(report.steps.filter(attempt=report.attempt))
    unknown = [s for s in steps if s.outcome == StepOutcome.PENDING and s.step != Step.FINISH]
    if unknown:
        names = ", ".join(sorted({s.step for s in unknown}))
        raise _NewAttempt(f"answer of {names} lost in a crash; not repeated")
    if report.status == ReportStatus.OPEN and discarded_by_ncmec(report, now):
        raise _NewAttempt(
            "NCMEC discards an unfinished report after its time limit", discarded=True
        )

    if report.ncmec_report_id is None:
        document = report_xml(report)  # raises ValidationError: a person must fix the draft
        row, answer = _call(report, Step.SUBMIT, None, actor, lambda: client.submit(document))
        _checked(Step.SUBMIT, row, answer)
        if answer.report_id is None:
            raise _Refused(answer)
        opened = timezone.now()
        CyberTipReport.objects.filter(pk=report.pk).update(
            ncmec_report_id=answer.report_id,
            status=ReportStatus.OPEN,
            opened_at=opened,
            last_change_at=opened,
        )
        report.ncmec_report_id, report.opened_at = answer.report_id, opened
    ncmec_id = report.ncmec_report_id
    files = list(ReportFile.objects.filter(report=report).order_by("added_at", "pk"))
    for file in files:
        if file.ncmec_file_id:
            continue
        with default_storage.open(str(file.file.name), "rb") as content:
            row, answer = _call(
                report,
                Step.UPLOAD,
                file,
                actor,
                lambda c=content, f=file: client.upload(
                    report_id=ncmec_id, name=f.original_name, content=c
                ),
            )
        _checked(Step.UPLOAD, row, answer)
        if not answer.file_id or (answer.md5 and answer.md5 != file.md5):
            raise _NewAttempt(f"upload of file {file.pk}: NCMEC's MD5 {answer.md5} is not ours")
        ReportFile.objects.filter(pk=file.pk).update(ncmec_file_id=answer.file_id)
        CyberTipReport.objects.filter(pk=report.pk).update(last_change_at=timezone.now())
        file.ncmec_file_id = answer.file_id
    reviewed = reviews_for([report])[report.pk]
    for file in files:
        if file.fileinfo_sent_at is not None:
            continue
        document = file_details_xml(
            file, ncmec_report_id=ncmec_id, ncmec_file_id=file.ncmec_file_id, reviewed=reviewed
        )
        row, answer = _call(
            report, Step.FILEINFO, file, actor, lambda d=document: client.fileinfo(d)
        )
        _checked(Step.FILEINFO, row, answer)
        sent = timezone.now()
        ReportFile.objects.filter(pk=file.pk).update(fileinfo_sent_at=sent)
        CyberTipReport.objects.filter(pk=report.pk).update(last_change_at=sent)
    row, answer = _call(report, Step.FINISH, None, actor, lambda: client.finish(report_id=ncmec_id))
    if row.outcome == StepOutcome.REFUSED and answer.code == 5102:
        return _filed(
            report, actor, answer, note="NCMEC: already finished (an earlier finish went through)"
        )
    _checked(Step.FINISH, row, answer)
    expected = {f.ncmec_file_id for f in files}
    note = ""
    if set(answer.file_ids) != expected:
        note = f"NCMEC listed files {sorted(answer.file_ids)}, we uploaded {sorted(expected)}"
    return _filed(report, actor, answer, note=note)


def _filed(report: CyberTipReport, actor: User, answer: Answer, *, note: str) -> str:
    """NCMEC's receipt is on record: the report is final. Record it on the case, start the
    one-year preservation from now, then archive what was filed."""
    finished = timezone.now()
    with transaction.atomic():
        updated = CyberTipReport.objects.filter(pk=report.pk, status__in=IN_FLIGHT).update(
            status=ReportStatus.FINISHED,
            finished_at=finished,
            receipt_xml=answer.body[:20000],
            last_answer=(note or answer.summary)[:4000],
        )
        if updated != 1:
            return CyberTipReport.objects.values_list("status", flat=True).get(pk=report.pk)
        report_filed_effects(report=report, actor=actor, finished_at=finished)
        access_event_record(
            action="cybertip_filed",
            actor=actor,
            obj=report,
            case_reference=report.case.reference,
            details={
                "ncmec_report_id": report.ncmec_report_id,
                "request_id": answer.request_id,
                "files": len(answer.file_ids),
                "note": note[:300],
            },
        )
    cybertip_submission_record(outcome="accepted")
    report_archive(report_id=report.pk)
    return ReportStatus.FINISHED


def report_filed_effects(*, report: CyberTipReport, actor: User, finished_at: datetime) -> None:
    """18 USC 2258A(h) (REPORT Act 2024): a completed report is a request to preserve its
    contents for one year. The case's CyberTipline process gets ``reported_at``, and the
    cases rules (``us.cybertipline``) move the preservation deadline to a year from it."""
    timeline_event_add(
        case=report.case,
        kind=TimelineKind.NOTE,
        actor=actor,
        message=gettext_noop("CyberTipline report filed with NCMEC: report number %(ncmec)s."),
        params={"ncmec": str(report.ncmec_report_id)},
    )
    process = (
        LegalProcess.objects.filter(case_id=report.case_id, kind=ProcessKind.CYBERTIPLINE)
        .order_by("pk")
        .first()
    )
    if process is None:
        return
    if process.reported_at is not None and process.reported_at >= finished_at:
        return
    process_update(
        process=process,
        actor=actor,
        reason=f"CyberTipline report {report.ncmec_report_id} filed with NCMEC",
        reported_at=finished_at,
    )


def report_archive(*, report_id: int) -> None:
    """Keep what was filed: the report XML and a PDF summary, each with its SHA-256.
    Idempotent; a failure here never undoes the filing (the task can run it again)."""
    from reports.cybertip.pdf import report_summary_pdf

    report = report_load(report_id)
    if report.status != ReportStatus.FINISHED or report.archived_xml_sha256:
        return
    from reports.cybertip.build import report_document
    from reports.cybertip.xml import serialise

    xml = serialise(report_document(report))
    pdf = report_summary_pdf(report)
    stem = f"cybertip/archive/{report.pk}-{report.ncmec_report_id}"
    xml_path = default_storage.save(f"{stem}.xml", ContentFile(xml))
    pdf_path = default_storage.save(f"{stem}.pdf", ContentFile(pdf))
    CyberTipReport.objects.filter(pk=report.pk, archived_xml_sha256="").update(
        archived_xml=xml_path,
        archived_xml_sha256=hashlib.sha256(xml).hexdigest(),
        archived_pdf=pdf_path,
        archived_pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )


def submission_retract(
    *, report: CyberTipReport, actor: User, session: requests.Session | None = None
) -> str:
    """Cancel a report before it is finished (a person's decision; gate in the service)."""
    report = report_load(report.pk)
    if report.status == ReportStatus.SUBMITTING and report.ncmec_report_id is None:
        updated = CyberTipReport.objects.filter(
            pk=report.pk, status=ReportStatus.SUBMITTING, ncmec_report_id=None
        ).update(status=ReportStatus.RETRACTED)
        if updated == 1:
            return ReportStatus.RETRACTED
        report = report_load(report.pk)
    if report.status not in IN_FLIGHT or report.ncmec_report_id is None:
        return report.status
    client = NcmecClient(session=session)
    ncmec_id = report.ncmec_report_id
    try:
        _row, answer = _call(
            report, Step.RETRACT, None, actor, lambda: client.retract(report_id=ncmec_id)
        )
    except _NewAttempt:
        answer = None
    if answer is not None and answer.code == 5102:
        return report.status  # finished meanwhile: final; the worker records it
    CyberTipReport.objects.filter(pk=report.pk, status__in=IN_FLIGHT).update(
        status=ReportStatus.RETRACTED
    )
    return ReportStatus.RETRACTED
