"""Officer API: ``GET /api/v1/requests/{reference}/productions/``, the signed download link
of each, and ``POST /api/v1/verify/``.

The case gate answers another agency's reference with the logged problem+json 404 of a
missing one; a download needs the link's token (bound to the disclosure and the agency,
expiring) on top of the bearer token. Every list, download and verification is logged.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import problem_response
from cases.api.serializers import UtcDateTimeField, raise_api_errors
from cases.policy import officer_agency_id
from cases.selectors import case_get_for_user
from portal.api.views import ApiView
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record, access_list_record
from reports.disclosures.files import read_upload
from reports.disclosures.links import (
    download_allowed,
    download_expired,
    download_expires,
    download_token,
)
from reports.disclosures.models import Disclosure, DisclosureKind, PackageStatus
from reports.disclosures.selectors import disclosure_get, released_of
from reports.disclosures.verify import disclosure_verify


class CertificateOutput(serializers.Serializer):
    signer = serializers.CharField(help_text="Common name of the signing certificate.")
    signed_at = UtcDateTimeField(help_text="Signing time (the TSA's when timestamped).")
    timestamped = serializers.BooleanField(help_text="PAdES B-T: an RFC 3161 timestamp.")
    level = serializers.CharField(
        help_text="PAdES level: B-B, B-T (timestamp) or B-LT (validation data embedded: "
        "validates without fetching anything)."
    )
    pdf_sha256 = serializers.CharField(help_text="SHA-256 of the signed PDF.")
    zip_sha256 = serializers.CharField(help_text="SHA-256 of the delivery ZIP.")
    zip_size = serializers.IntegerField(help_text="Bytes.")
    pages = serializers.IntegerField(help_text="Pages of the signed PDF (letter and certificate).")


class ProductionOutput(serializers.Serializer):
    reference = serializers.CharField(help_text="Our reference of this answer, e.g. LR-...-D01.")
    kind = serializers.ChoiceField(choices=DisclosureKind.choices)
    released_at = UtcDateTimeField(help_text="When we released this answer to you (UTC).")
    corrects = serializers.CharField(allow_null=True, help_text="The answer this one corrects.")
    files = serializers.IntegerField(help_text="Produced files (0 for a letter).")
    records = serializers.IntegerField(help_text="Records in the produced files.")
    ready = serializers.BooleanField(help_text="False while the package is being signed.")
    certificate = CertificateOutput(allow_null=True)
    download_url = serializers.CharField(
        allow_null=True, help_text="The ZIP; works with your token until download_expires_at."
    )
    download_expires_at = UtcDateTimeField(help_text="When the download link stops working (UTC).")


PRODUCTION_EXAMPLE = {
    "reference": "LR-2026-000123-D01",
    "kind": "production",
    "released_at": "2026-03-04T09:30:00Z",
    "corrects": None,
    "files": 2,
    "records": 41,
    "ready": True,
    "certificate": {
        "signer": "Jordan Example, Custodian of Records",
        "signed_at": "2026-03-04T09:30:12Z",
        "timestamped": True,
        "level": "B-LT",
        "pdf_sha256": "3f5a" + "0" * 60,
        "zip_sha256": "9c1e" + "0" * 60,
        "zip_size": 20480,
        "pages": 3,
    },
    "download_url": "https://portal.example.com/api/v1/requests/LR-2026-000123/productions/7/"
    "download/eJy...:1u2v3w/",
    "download_expires_at": "2026-04-03T09:30:00Z",
}


def _production_data(request: Request, disclosure: Disclosure, agency_id: int) -> dict[str, Any]:
    package = getattr(disclosure, "package", None)
    ready = package is not None and package.status == PackageStatus.DONE
    files = list(disclosure.files.all())
    url = None
    if ready and not download_expired(disclosure):
        url = request.build_absolute_uri(
            reverse(
                "disclosures:api_download",
                args=[
                    disclosure.case.reference,
                    disclosure.pk,
                    download_token(disclosure, agency_id),
                ],
            )
        )
    return {
        "reference": disclosure.reference,
        "kind": disclosure.kind,
        "released_at": disclosure.released_at,
        "corrects": disclosure.corrects.reference if disclosure.corrects else None,
        "files": len(files),
        "records": sum(f.record_count for f in files),
        "ready": ready,
        "certificate": None
        if package is None or not ready
        else {
            "signer": package.signer,
            "signed_at": package.signed_at,
            "timestamped": package.timestamped,
            "level": package.level,
            "pdf_sha256": package.pdf_sha256,
            "zip_sha256": package.zip_sha256,
            "zip_size": package.zip_size,
            "pages": package.pdf_pages,
        },
        "download_url": url,
        "download_expires_at": download_expires(disclosure) if disclosure.released_at else None,
    }


@audited(Action.LIST, object_type="disclosures.disclosure")
class ProductionsApi(ApiView):
    """``GET``: the released answers to one request of the agency."""

    class ListOutput(serializers.Serializer):
        reference = serializers.CharField(help_text="The request's reference, e.g. LR-2026-000123.")
        productions = ProductionOutput(
            many=True, help_text="Released answers to the request, in number order (D01, D02, ...)."
        )

    @extend_schema(
        operation_id="requests_productions_list",
        summary="List the productions of a request",
        description="Released productions, no-records and rejection letters, each signed "
        "(PAdES) with a business-records certificate. Needs the `read` scope. Download links "
        "work only with a token of your agency, until `download_expires_at`.",
        responses={
            200: OpenApiResponse(
                response=ListOutput,
                examples=[
                    OpenApiExample(
                        "One production",
                        value={"reference": "LR-2026-000123", "productions": [PRODUCTION_EXAMPLE]},
                    )
                ],
            ),
            **problem_response(404, "No such request, or another agency's."),
        },
        tags=["requests"],
    )
    def get(self, request: Request, reference: str) -> Response:
        case = case_get_for_user(request.user, reference)
        agency_id = officer_agency_id(request.user)
        if agency_id is None or case.agency_id != agency_id:
            raise Http404
        productions = list(released_of(case))
        access_list_record(
            request=request._request,
            object_type="disclosures.disclosure",
            objects=productions,
            case_reference=case.reference,
        )
        return Response(
            self.ListOutput(
                {
                    "reference": case.reference,
                    "productions": [_production_data(request, d, agency_id) for d in productions],
                }
            ).data
        )


@audited(Action.DOWNLOAD, object_type="disclosures.disclosure")
class ProductionDownloadApi(ApiView):
    """``GET``: the delivery ZIP of one production (signed PDF, files, CSV manifest)."""

    @extend_schema(
        operation_id="requests_productions_download",
        summary="Download a production",
        description="The URL comes from the list. Another agency's token, an expired link and "
        "a changed link all answer 404.",
        responses={
            (200, "application/zip"): OpenApiResponse(description="The ZIP."),
            **problem_response(404, "No such production, another agency's, or expired."),
        },
        tags=["requests"],
    )
    def get(self, request: Request, reference: str, pk: int, token: str) -> FileResponse:
        from reports.disclosures.views import package_file, package_response

        case = case_get_for_user(request.user, reference)
        disclosure = disclosure_get(case, pk)
        if not disclosure.is_released or not download_allowed(
            token, disclosure, officer_agency_id(request.user)
        ):
            access_event_record(
                action=Action.DOWNLOAD,
                request=request._request,
                obj=disclosure,
                case_reference=case.reference,
                outcome="denied",
                details={"why": "link"},
            )
            raise Http404
        stored, name, content_type, sha = package_file(disclosure, "zip")
        response = package_response(stored, name, content_type)
        access_event_record(
            action=Action.DOWNLOAD,
            request=request._request,
            obj=disclosure,
            case_reference=case.reference,
            details={"what": "zip", "sha256": sha},
        )
        return response


class VerifyOutput(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Signed, intact, trusted, whole file; ZIP matches.")
    container = serializers.ChoiceField(choices=["pdf", "zip", "unknown"])
    signed = serializers.BooleanField(help_text="The PDF carries a PAdES signature.")
    intact = serializers.BooleanField(help_text="The signed bytes are unchanged.")
    trusted = serializers.BooleanField(help_text="The signer chains to our trust root.")
    whole_file = serializers.BooleanField(help_text="Nothing was added after signing.")
    signer = serializers.CharField(
        help_text="Common name of the signing certificate; empty when unsigned."
    )
    signer_organisation = serializers.CharField(
        help_text="Organisation (O) of the signing certificate; empty when unsigned."
    )
    signed_at = serializers.CharField(
        allow_null=True,
        help_text="Signing time claimed by the signature, ISO 8601 with its UTC offset; "
        "null when unsigned.",
    )
    timestamp = serializers.CharField(
        allow_null=True,
        help_text="Time of the RFC 3161 timestamp (PAdES B-T), ISO 8601 with its UTC offset; "
        "null without one.",
    )
    pdf_sha256 = serializers.CharField(
        help_text="SHA-256 of the PDF checked (inside the ZIP for a ZIP), hex."
    )
    production = serializers.DictField(
        allow_null=True,
        help_text="Which production this is: only for a request of your own agency.",
    )
    files = serializers.DictField(allow_null=True, help_text="ZIP only: members vs manifest.")
    problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why ok is false, as codes: not_pdf_or_zip, not_a_readable_pdf, "
        "not_a_readable_zip, no_disclosure_pdf, pdf_too_large (the ZIP's PDF inflates past "
        "the upload limit), not_signed, changed_after_signing, "
        "content_added_after_signing, signer_not_trusted, no_signed_manifest, "
        "files_do_not_match_manifest; empty when ok.",
    )


@audited(Action.VIEW, object_type="disclosures.verification")
class VerifyApi(ApiView):
    """``POST``: check a disclosure PDF or ZIP."""

    parser_classes = [MultiPartParser]
    required_scope = "read"

    class VerifyInput(serializers.Serializer):
        file = serializers.FileField(help_text="The signed PDF or the delivery ZIP.")

    @extend_schema(
        operation_id="verify_disclosure",
        summary="Verify a disclosure",
        description="Multipart with `file`. Answers whether the signature is intact and "
        "trusted, who signed and when, whether a ZIP's files match the signed manifest, and "
        "which production it is when it belongs to a request of your agency (for anything "
        "else `production` is null, whether or not we issued it). Needs the `read` scope.",
        request={"multipart/form-data": VerifyInput},
        responses={
            200: OpenApiResponse(response=VerifyOutput),
            **problem_response(400, "No file, or too large."),
        },
        tags=["verify"],
    )
    def post(self, request: Request) -> Response:
        form = self.VerifyInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            data = read_upload(form.validated_data["file"])
        except DjangoValidationError as error:
            raise_api_errors(error, {})
        verdict = disclosure_verify(data, user=request.user)
        access_event_record(
            action="disclosure_verify",
            request=request._request,
            object_type="disclosures.verification",
            case_reference=(verdict.production or {}).get("request", ""),
            details={"ok": verdict.ok, "pdf_sha256": verdict.pdf_sha256},
        )
        return Response(VerifyOutput(verdict.as_dict()).data)
