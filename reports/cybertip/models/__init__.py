"""CyberTipline reports: what the provider tells NCMEC about one reported user's incident.

A report is built from a child-safety case (``cases.Case``) and holds exactly the facts the
NCMEC schema can carry (``reports/cybertip/schema/cyber_tipline.xsd``); the XML is built by
``reports.cybertip.xml`` and never stored as the source of truth. Submission to NCMEC is a
sequence of API calls (submit, upload, fileinfo, finish), each recorded as a
``SubmissionStep`` before and after it is made, so a crash in the middle resumes or
retracts instead of filing twice (``reports.cybertip.submission``).

Business rules do not live here: writes go through ``reports.cybertip.services``.

One module per concern (the report and its parts, files, filing steps, urgent referrals);
this package exports them all, so imports and migrations see one module as before.
"""

from reports.cybertip.models.files import (
    FileAnnotation,
    FileRelevance,
    IndustryClassification,
    ReportFile,
)
from reports.cybertip.models.filing import (
    Step,
    StepOutcome,
    SubmissionStep,
)
from reports.cybertip.models.referrals import (
    ReferralBasis,
    ReferralStatus,
    UrgentReferral,
)
from reports.cybertip.models.report import (
    IN_FLIGHT,
    CyberTipReport,
    DetailKind,
    IncidentType,
    InternetDetail,
    PersonRole,
    ReportAnnotation,
    ReportPerson,
    ReportStatus,
)

__all__ = [
    "IN_FLIGHT",
    "CyberTipReport",
    "DetailKind",
    "FileAnnotation",
    "FileRelevance",
    "IncidentType",
    "IndustryClassification",
    "InternetDetail",
    "PersonRole",
    "ReferralBasis",
    "ReferralStatus",
    "ReportAnnotation",
    "ReportFile",
    "ReportPerson",
    "ReportStatus",
    "Step",
    "StepOutcome",
    "SubmissionStep",
    "UrgentReferral",
]
