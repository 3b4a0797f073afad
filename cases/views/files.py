"""Downloads of legal process documents and attachments.

Served as attachments (``Content-Disposition: attachment``), with the type sniffed at upload
(PDF or a raster image, never HTML or SVG), ``nosniff``, a sandboxing CSP and no caching, so
a document is never rendered inline in the portal's origin. Each download is logged: the
access log must show who opened which file (Wilson, 9th Cir. 2021).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from cases.policy import CaseCapability, case_material_readable
from cases.selectors import case_get_for_user
from cases.uploads import download_name
from cases.views.common import staff_required
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record

SAFE_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp"}
)


def file_response(stored: FieldFile, name: str, content_type: str) -> FileResponse:
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(name, content_type),
        content_type=content_type if content_type in SAFE_TYPES else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@audited(Action.DOWNLOAD, object_type="cases.legalprocess")
@require_GET
@staff_required(CaseCapability.WORK_CASES)
def process_document(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    case = case_get_for_user(request.user, reference)
    process = case.processes.filter(pk=pk).first()
    if process is None or not process.document:
        raise Http404
    response = file_response(process.document, process.document_name, process.document_content_type)
    access_event_record(
        action=Action.DOWNLOAD,
        request=request,
        obj=process,
        case_reference=case.reference,
        details={"sha256": process.document_sha256, "name": process.document_name},
    )
    return response


@audited(Action.DOWNLOAD, object_type="cases.attachment")
@require_GET
@staff_required(CaseCapability.WORK_CASES)
def attachment_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    case = case_get_for_user(request.user, reference)
    attachment = case.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    if not case_material_readable(request.user, case.case_type):
        # An auditor of a child-safety case: the material stays closed (ADR 0031).
        raise PermissionDenied
    response = file_response(attachment.file, attachment.original_name, attachment.content_type)
    access_event_record(
        action=Action.DOWNLOAD,
        request=request,
        obj=attachment,
        case_reference=case.reference,
        details={"sha256": attachment.sha256, "name": attachment.original_name},
    )
    return response
