"""``POST /api/v1/match/``: the upload pipeline asks whether uploads match known material.

Thin: the serializers check the input, ``matching.uploads_match`` decides. Authenticated
only by a service credential with scope ``match`` (``credentials``), never by an officer
token; its own rate limit; errors as problem+json like the rest of the API.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.parsers import JSONParser
from portal.audit.access import audited
from reports.matching import metrics
from reports.matching.credentials import (
    HasServiceScope,
    ServiceCredentialAuthentication,
    ServiceCredentialThrottle,
)
from reports.matching.formats import hash_normalise
from reports.matching.matching import FileUnreadable, Outcome, Upload, file_hashes, uploads_match
from reports.matching.models import HashType, ServiceCredential

MAX_ITEMS = 100
MAX_FILE_BYTES = 50 * 1024 * 1024
PDQ_EXAMPLE = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


class _HashField(serializers.CharField):
    def __init__(self, hash_type: str, **kwargs: Any) -> None:
        self.hash_type = hash_type
        super().__init__(required=False, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if not text:
            return ""
        value = hash_normalise(self.hash_type, text)
        if value is None:
            from reports.matching.models import HEX_LENGTHS

            raise serializers.ValidationError(
                _("%(n)d hexadecimal characters.") % {"n": HEX_LENGTHS[self.hash_type]}
            )
        return value


class MatchItemInput(serializers.Serializer):
    account_id = serializers.CharField(
        max_length=200, help_text="The uploader's account id on the platform."
    )
    md5 = _HashField(HashType.MD5, help_text="MD5 of the file, 32 hex characters.")
    sha1 = _HashField(HashType.SHA1, help_text="SHA-1 of the file, 40 hex characters.")
    sha256 = _HashField(HashType.SHA256, help_text="SHA-256 of the file, 64 hex characters.")
    pdq = _HashField(HashType.PDQ, help_text="PDQ hash of the image, 64 hex characters.")
    pdq_quality = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        help_text="PDQ quality 0-100; below 50 the PDQ hash is ignored.",
    )
    ip = serializers.IPAddressField(required=False, help_text="The uploader's IP address.")
    uploaded_at = serializers.DateTimeField(required=False, help_text="When the upload arrived.")
    client = serializers.CharField(
        required=False,
        max_length=200,
        allow_blank=True,
        help_text="The uploading client (app, version).",
    )
    upload_id = serializers.CharField(
        required=False,
        max_length=200,
        allow_blank=True,
        help_text="The platform's id of the upload.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(t) for t in ("md5", "sha1", "sha256", "pdq")):
            raise serializers.ValidationError(_("Give at least one of md5, sha1, sha256, pdq."))
        if attrs.get("pdq_quality") is not None and not attrs.get("pdq"):
            raise serializers.ValidationError({"pdq_quality": _("A quality needs a PDQ hash.")})
        return attrs


class MatchFileInput(serializers.Serializer):
    file = serializers.FileField(
        max_length=200, allow_empty_file=False, help_text="The uploaded image; kept only on a hit."
    )
    account_id = serializers.CharField(
        max_length=200, help_text="The uploader's account id on the platform."
    )
    ip = serializers.IPAddressField(required=False, help_text="The uploader's IP address.")
    uploaded_at = serializers.DateTimeField(required=False, help_text="When the upload arrived.")
    client = serializers.CharField(
        required=False,
        max_length=200,
        allow_blank=True,
        help_text="The uploading client (app, version).",
    )
    upload_id = serializers.CharField(
        required=False,
        max_length=200,
        allow_blank=True,
        help_text="The platform's id of the upload.",
    )


class MatchBatchInput(serializers.Serializer):
    items = MatchItemInput(  # type: ignore[call-arg]  # ListSerializer takes max_length
        many=True, allow_empty=False, max_length=MAX_ITEMS, help_text="Up to 100 uploads."
    )


class MatchHitOutput(serializers.Serializer):
    list = serializers.CharField(help_text="The hash list matched.")
    entry = serializers.IntegerField(help_text="The list entry's id.")
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        help_text="The entry's label (e.g. A1)."
    )
    labels = serializers.ListField(child=serializers.CharField(), help_text="The list's labels.")
    hash_type = serializers.CharField(help_text="md5, sha1, sha256 or pdq.")
    hash = serializers.CharField(help_text="The matched hash of the entry.")
    distance = serializers.IntegerField(
        allow_null=True, help_text="PDQ Hamming distance; null for exact hashes."
    )


class MatchResultOutput(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=["block", "review", "allow"], help_text="What the pipeline should do."
    )
    matches = MatchHitOutput(many=True, help_text="Every entry matched.")
    item = serializers.IntegerField(
        allow_null=True, help_text="The recorded item (block or review), else null."
    )
    case = serializers.CharField(
        allow_blank=True, help_text="The child-safety case the item joined."
    )


class MatchBatchOutput(serializers.Serializer):
    results = MatchResultOutput(
        many=True, help_text="One result per item of `items`, in the same order."
    )


MATCH_REQUEST = PolymorphicProxySerializer(
    component_name="Match",  # "MatchRequest" in the document (split request)
    serializers=[MatchItemInput, MatchBatchInput],
    resource_type_field_name=None,
)
MATCH_ANSWER = PolymorphicProxySerializer(
    component_name="MatchAnswer",
    serializers=[MatchResultOutput, MatchBatchOutput],
    resource_type_field_name=None,
)


def _result(outcome: Outcome) -> dict[str, Any]:
    return {
        "verdict": outcome.verdict,
        "matches": [
            {
                "list": m.list_name,
                "entry": m.entry_id,
                "label": m.label,
                "labels": list(m.labels),
                "hash_type": m.hash_type,
                "hash": m.value,
                "distance": m.distance,
            }
            for m in outcome.matches
        ],
        "item": outcome.item_id,
        "case": outcome.case_reference,
    }


def _upload(data: dict[str, Any]) -> Upload:
    return Upload(
        account_id=data["account_id"].strip(),
        md5=data.get("md5", ""),
        sha1=data.get("sha1", ""),
        sha256=data.get("sha256", ""),
        pdq=data.get("pdq", ""),
        pdq_quality=data.get("pdq_quality"),
        ip=data.get("ip"),
        uploaded_at=data.get("uploaded_at"),
        client=data.get("client", ""),
        upload_id=data.get("upload_id", ""),
    )


@audited("match_request")
class MatchView(APIView):
    """Match one upload (JSON hashes or a multipart file) or a batch (``items``)."""

    authentication_classes = [ServiceCredentialAuthentication]
    permission_classes = [HasServiceScope]
    throttle_classes = [ServiceCredentialThrottle]
    parser_classes = [JSONParser, MultiPartParser]
    required_scope = ServiceCredential.Scope.MATCH

    @extend_schema(
        operation_id="match",
        summary="Match uploads against the known-material hash lists",
        description=(
            "Send JSON with any of md5, sha1, sha256, pdq (+ pdq_quality) and account_id, "
            "a multipart form with `file` and account_id (Liaison hashes the file; the file "
            "is kept only on a block or review verdict), or JSON `items` (up to 100) for a "
            "batch, answered as `results` in the same order. Needs a service credential "
            "with scope `match` (`manage.py issue_service_token NAME --scopes match`)."
        ),
        request={
            "application/json": MATCH_REQUEST,
            "multipart/form-data": MatchFileInput,
        },
        responses={
            200: OpenApiResponse(
                response=MATCH_ANSWER,
                description="One upload's result, or `results` for a batch (`items`).",
            ),
        },
        examples=[
            OpenApiExample(
                "Hashes of one upload",
                request_only=True,
                value={
                    "account_id": "user-1001",
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "pdq": PDQ_EXAMPLE,
                    "pdq_quality": 100,
                    "ip": "192.0.2.10",
                    "uploaded_at": "2026-12-01T10:00:00Z",
                },
            ),
            OpenApiExample(
                "A match",
                response_only=True,
                value={
                    "verdict": "block",
                    "matches": [
                        {
                            "list": "ncmec",
                            "entry": 42,
                            "label": "A1",
                            "labels": ["A1", "A2", "B1", "B2"],
                            "hash_type": "pdq",
                            "hash": PDQ_EXAMPLE[:-1] + "3",
                            "distance": 1,
                        }
                    ],
                    "item": 7,
                    "case": "CS-2026-000012",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        started = time.perf_counter()
        credential = request.auth
        assert isinstance(credential, ServiceCredential)  # HasServiceScope checked it
        batch = isinstance(request.data, dict) and "items" in request.data
        if "file" in request.FILES:
            form = MatchFileInput(data=request.data)
            form.is_valid(raise_exception=True)
            uploaded = form.validated_data["file"]
            if uploaded.size > MAX_FILE_BYTES:
                raise serializers.ValidationError({"file": _("The file is larger than 50 MB.")})
            content = uploaded.read()
            try:
                hashes = file_hashes(content)
            except FileUnreadable as exc:
                raise serializers.ValidationError({"file": str(exc)}) from exc
            upload = _upload({**form.validated_data, **hashes})
            upload.content = content
            upload.file_name = uploaded.name or ""
            upload.content_type = getattr(uploaded, "content_type", "") or ""
            uploads = [upload]
        elif batch:
            form_b = MatchBatchInput(data=request.data)
            form_b.is_valid(raise_exception=True)
            uploads = [_upload(item) for item in form_b.validated_data["items"]]
        else:
            form_i = MatchItemInput(data=request.data)
            form_i.is_valid(raise_exception=True)
            uploads = [_upload(form_i.validated_data)]
        outcomes = uploads_match(uploads=uploads, credential=credential)
        metrics.match_observe(outcomes=outcomes, seconds=time.perf_counter() - started)
        if batch:
            return Response({"results": [_result(o) for o in outcomes]}, status=status.HTTP_200_OK)
        return Response(_result(outcomes[0]), status=status.HTTP_200_OK)
