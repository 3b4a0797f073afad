"""Writes of CyberTipline reports: keyword-only, typed, atomic, each with its audit event.

Who may: child-safety analysts and supervisors who work the case (``cybertip_case_check``:
the cases gate with ``work``, the case a child-safety one, and one of those two roles). The
submitter system actor holds the child-safety role. A missing case and a forbidden one
both raise ``CaseNotFound`` (404).

Grouped by concern (the gate, drafts, files); import from here.
"""

from reports.cybertip.services.drafts import (
    REPORT_FIELDS,
    ConcurrentChange,
    DetailInput,
    DraftForUser,
    PersonInput,
    ReportInput,
    cybertip_draft_for_user,
    report_draft_create,
    report_draft_update,
    report_submit_request,
)
from reports.cybertip.services.files import (
    ACTION_EXIF_VIEW,
    ACTION_FILE_VIEW,
    FILE_FOLDER,
    FileInput,
    report_file_add,
    report_file_classify,
    report_file_view_record,
)
from reports.cybertip.services.gate import (
    CYBERTIP_ROLES,
    cybertip_case_check,
)

__all__ = [
    "ACTION_EXIF_VIEW",
    "ACTION_FILE_VIEW",
    "CYBERTIP_ROLES",
    "FILE_FOLDER",
    "REPORT_FIELDS",
    "ConcurrentChange",
    "DetailInput",
    "DraftForUser",
    "FileInput",
    "PersonInput",
    "ReportInput",
    "cybertip_case_check",
    "cybertip_draft_for_user",
    "report_draft_create",
    "report_draft_update",
    "report_file_add",
    "report_file_classify",
    "report_file_view_record",
    "report_submit_request",
]
