"""``/api/v1/requests/``: list the agency's requests (``GET``), file a new one (``POST``).

Submission goes through ``case_submit``, which makes a retried request with the same
``Idempotency-Key`` answer with the first request instead of filing another.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cases.api.common import DEADLINE_EXAMPLE, IdempotencyKeyReused, messages_of, problem_response
from cases.api.serializers import DeadlineOutput, UtcDateTimeField, raise_api_errors, status_field
from cases.jurisdictions import JURISDICTION_MAX
from cases.models import DataCategory, ProcessKind, ReceivedVia, TargetKind
from cases.officer.selectors import OFFICER_KINDS, agency_requests
from cases.selectors import case_deadlines
from cases.services import SubmissionKeyReused, case_submit, intake_input
from cases.services.intake import IntakeInput
from portal.api.auth import TokenRequest
from portal.api.pagination import StandardPagination
from portal.api.parsers import json_loads
from portal.api.views import ApiView
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_list_record

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Service argument names -> API field names (None: about the input as a whole).
SUBMIT_FIELDS: dict[str, str | None] = {
    "country": "jurisdiction",
    "subdivision": "jurisdiction",
    "document": "legal_process",
    "idempotency_key": IDEMPOTENCY_HEADER,
    "case_type": None,
    "received_at": None,
    "received_via": None,
    "submitting_officer": None,
    "priority": None,
}

REQUEST_ROW_EXAMPLE = {
    "reference": "LR-2026-000123",
    "status": "triage",
    "emergency": False,
    "kind": "us_subpoena",
    "jurisdiction": "US-IL",
    "agency_case_number": "SPD-26-0412",
    "submitted_at": "2026-03-03T15:04:05Z",
    "status_changed_at": "2026-03-04T09:30:00Z",
    "next_due_at": "2026-03-17T04:59:59Z",
}


class TargetInputSerializer(serializers.Serializer):
    """One identifier the process names."""

    type = serializers.ChoiceField(
        choices=TargetKind.choices,
        help_text="email, phone (E.164 or national), username, account_id, ip (or CIDR), url.",
    )
    value = serializers.CharField(max_length=500, help_text="The identifier as written.")


class TargetListField(serializers.ListField):
    """Targets as a JSON array in one form field (multipart), or repeated form fields each
    holding one JSON object; a JSON body would give the list itself."""

    child = TargetInputSerializer()

    def to_internal_value(self, data: Any) -> Any:
        items: list[Any] = []
        for raw in data if isinstance(data, list) else [data]:
            if isinstance(raw, str):
                try:
                    parsed = json_loads(raw)
                except ValueError:
                    raise serializers.ValidationError(
                        _('Give the targets as JSON: [{"type": "email", "value": "..."}].'),
                        code="invalid",
                    ) from None
                items += parsed if isinstance(parsed, list) else [parsed]
            else:
                items.append(raw)
        return super().to_internal_value(items)


class ChoiceListField(serializers.ListField):
    """Choices as repeated form fields (``data_categories=subscriber``, twice) or as one
    field holding a JSON array (``data_categories=["subscriber", "login_ip"]``), the form
    ``targets`` takes, so a client can send every list the same way."""

    def to_internal_value(self, data: Any) -> Any:
        items: list[Any] = []
        for raw in data if isinstance(data, list) else [data]:
            if isinstance(raw, str) and raw.lstrip().startswith("["):
                try:
                    parsed = json_loads(raw)
                except ValueError:
                    raise serializers.ValidationError(
                        _('Give the list as JSON, e.g. ["subscriber", "login_ip"].'),
                        code="invalid",
                    ) from None
                items += parsed if isinstance(parsed, list) else [parsed]
            else:
                items.append(raw)
        return super().to_internal_value(items)


class RequestRowOutput(serializers.Serializer):
    """One request in the agency's list."""

    reference = serializers.CharField(help_text="The provider's reference, LR-YYYY-NNNNNN.")
    status = status_field()
    emergency = serializers.BooleanField(help_text="Filed as an emergency.")
    kind = serializers.ChoiceField(
        choices=ProcessKind.choices, allow_null=True, help_text="Kind of legal process."
    )
    jurisdiction = serializers.CharField(
        allow_null=True, help_text="ISO 3166-2 subdivision or ISO 3166-1 country."
    )
    agency_case_number = serializers.CharField(
        allow_null=True, help_text="The agency's own case number."
    )
    submitted_at = UtcDateTimeField(source="created_at", help_text="When it was filed (UTC).")
    status_changed_at = UtcDateTimeField(help_text="Last status change (UTC).")
    next_due_at = UtcDateTimeField(
        allow_null=True, help_text="The nearest open deadline (UTC); null when none is open."
    )


class RequestPageOutput(serializers.Serializer):
    """One page of the agency's requests, newest first."""

    count = serializers.IntegerField(help_text="Requests matching the filter in all.")
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(
        allow_null=True, help_text="The previous page; null on the first."
    )
    results = RequestRowOutput(many=True, help_text="The requests on this page.")


@audited(Action.LIST, object_type="cases.case")
class RequestsApi(ApiView):
    """``GET``: the agency's requests. ``POST``: file a new request (multipart)."""

    parser_classes = [MultiPartParser]

    class ListFilter(serializers.Serializer):
        status = status_field(required=False, help_text="Only requests in this status.")

    class SubmitInput(serializers.Serializer):
        """A new request: the legal process, what it asks for and its document."""

        kind = serializers.ChoiceField(
            choices=OFFICER_KINDS,
            help_text="Kind of legal process, e.g. us_subpoena, us_search_warrant, "
            "us_2703f_preservation, us_emergency_request, eu_epoc.",
        )
        jurisdiction = serializers.CharField(
            max_length=JURISDICTION_MAX,
            help_text="Where the process was issued: ISO 3166-1 alpha-2 country (US) or "
            "ISO 3166-2 subdivision (US-CA), or its English name (Illinois).",
        )
        issuing_authority = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=300,
            help_text="The court or authority that issued the process; default: your agency.",
        )
        authority_reference = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=120,
            help_text="The issuer's docket or reference number, if any.",
        )
        agency_case_number = serializers.CharField(
            required=False, allow_blank=True, max_length=64, help_text="Your agency's case number."
        )
        targets = TargetListField(
            min_length=1,
            max_length=100,
            help_text="The identifiers the process names. In multipart, one field holding a "
            'JSON array: [{"type": "email", "value": "suspect@example.com"}].',
        )
        data_categories = ChoiceListField(
            child=serializers.ChoiceField(choices=DataCategory.choices),
            required=False,
            max_length=len(DataCategory.choices),
            help_text="The records asked for; repeat the field for several, or give one "
            'JSON array like targets (["subscriber", "login_ip"]): subscriber, login_ip, '
            "non_content, content, location.",
        )
        date_from = serializers.DateField(
            required=False, help_text="Records from this day (YYYY-MM-DD)."
        )
        date_to = serializers.DateField(
            required=False, help_text="Records up to this day (YYYY-MM-DD)."
        )
        return_date = serializers.DateField(
            required=False,
            help_text="The return date the process states; it sets the response deadline.",
        )
        emergency = serializers.BooleanField(
            required=False,
            default=False,
            help_text="An emergency: danger of death or serious physical injury.",
        )
        emergency_justification = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=5000,
            help_text="Why it is an emergency; required when emergency is true.",
        )
        ndo = serializers.BooleanField(
            required=False,
            default=False,
            help_text="A non-disclosure order (18 USC 2705(b)) forbids notifying the user; "
            "implied by ndo_expires_on.",
        )
        ndo_expires_on = serializers.DateField(
            required=False, help_text="When the non-disclosure order ends (YYYY-MM-DD)."
        )
        legal_process = serializers.FileField(
            required=False,
            allow_empty_file=True,  # the service says why an empty file is refused
            help_text="The signed legal process as a PDF (a scan as PNG, JPEG or TIFF is "
            "accepted too). Required except for emergency disclosure requests.",
        )

    class SubmitOutput(serializers.Serializer):
        """The request as filed: its reference and the deadlines the rules computed."""

        reference = serializers.CharField(help_text="The provider's reference: quote it.")
        status = status_field()
        emergency = serializers.BooleanField(help_text="Filed as an emergency.")
        submitted_at = UtcDateTimeField(source="created_at", help_text="When it was filed (UTC).")
        deadlines = DeadlineOutput(many=True, help_text="The deadlines the rules computed.")

    @extend_schema(
        operation_id="requests_list",
        summary="List your agency's requests",
        description="Newest first, 50 per page (`page_size` up to 200). Needs the `read` "
        "scope. Requests filed by any officer of your agency, by API, portal, e-mail or fax, "
        "are listed; other agencies' never.",
        parameters=[
            ListFilter,
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description="Page number, from 1."
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": 200},
                description="Requests per page, 1 to 200 (default 50).",
            ),
        ],
        responses={
            200: OpenApiResponse(
                response=RequestPageOutput,
                examples=[
                    OpenApiExample(
                        "One page",
                        value={
                            "count": 1,
                            "next": None,
                            "previous": None,
                            "results": [REQUEST_ROW_EXAMPLE],
                        },
                    )
                ],
            ),
            **problem_response(400, "An unknown status; `errors` says which parameter."),
            **problem_response(404, "The page does not exist."),
        },
        tags=["requests"],
    )
    def get(self, request: TokenRequest) -> Response:
        status_wanted = ""
        if request.query_params:  # a plain list has nothing to check (a serializer costs 0.1 ms)
            filters = self.ListFilter(data=request.query_params)
            filters.is_valid(raise_exception=True)
            status_wanted = filters.validated_data.get("status", "")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(
            agency_requests(request.user, status=status_wanted), request, view=self
        )
        rows = page or []
        shown = paginator.page if page is not None else None  # set whenever it paginated
        access_list_record(
            request=request._request,
            object_type="cases.case",
            objects=rows,
            page=shown.number if shown is not None else None,
            query={"status": status_wanted} if status_wanted else None,
        )
        return paginator.get_paginated_response(RequestRowOutput(rows, many=True).data)

    @extend_schema(
        operation_id="requests_submit",
        summary="File a request",
        description=(
            "Multipart form. Needs the `submit` scope. Answers 201 with the reference and the "
            "deadlines computed from the kind, jurisdiction and dates.\n\n"
            "Send an `Idempotency-Key` (e.g. a UUID) and retry freely: a retry with the same "
            "key answers with the request the first attempt created (header "
            "`Idempotent-Replayed: true`), never a second one, even if both arrive at once. "
            "The same key with different content is refused (422). A submission that failed "
            "(4xx) stores nothing, and its key may be used again."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="1-255 visible ASCII characters, unique per submission.",
                pattern=r"^[!-~]{1,255}$",
            ),
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="The request's URL.",
            ),
            OpenApiParameter(
                "Idempotent-Replayed",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="`true` when this answers a retry of an earlier submission.",
            ),
        ],
        request=OpenApiRequest(
            request=SubmitInput,
            encoding={"targets": {"contentType": "application/json"}},
            examples=[
                OpenApiExample(
                    "A subpoena for subscriber records",
                    value={
                        "kind": "us_subpoena",
                        "jurisdiction": "US-IL",
                        "issuing_authority": "Circuit Court of Example County",
                        "agency_case_number": "SPD-26-0412",
                        "targets": '[{"type": "email", "value": "suspect@example.com"}]',
                        "data_categories": ["subscriber", "login_ip"],
                        "date_from": "2026-01-01",
                        "date_to": "2026-02-28",
                        "legal_process": "(the PDF file)",
                    },
                    request_only=True,
                )
            ],
        ),
        responses={
            201: OpenApiResponse(
                response=SubmitOutput,
                description="Filed (or, for a retry, filed earlier).",
                examples=[
                    OpenApiExample(
                        "Filed",
                        value={
                            "reference": "LR-2026-000123",
                            "status": "received",
                            "emergency": False,
                            "submitted_at": "2026-03-03T15:04:05Z",
                            "deadlines": [DEADLINE_EXAMPLE],
                        },
                    )
                ],
            ),
            **problem_response(422, "The Idempotency-Key was used before for a different request."),
        },
        tags=["requests"],
    )
    def post(self, request: TokenRequest) -> Response:
        try:
            request.data  # noqa: B018 - parsed here so a wrong body type is named clearly
        except exceptions.UnsupportedMediaType as exc:
            raise exceptions.UnsupportedMediaType(
                request.content_type,
                detail=_(
                    "Send the request as multipart/form-data: the document as a file part "
                    "named legal_process, targets as a JSON array in one field (not a JSON "
                    "body)."
                ),
            ) from exc
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        form = self.SubmitInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        facts = submit_intake_input(data)
        try:
            submission = case_submit(
                actor=request.user,
                key=key,
                data=facts,
            )
        except SubmissionKeyReused as error:
            raise IdempotencyKeyReused(messages_of(error)) from error
        except DjangoValidationError as error:
            raise_api_errors(error, SUBMIT_FIELDS)
        case = submission.case
        body = self.SubmitOutput(_submit_data(case)).data
        headers = {"Location": reverse("requests_api:detail", args=[case.reference])}
        if submission.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


def submit_intake_input(data: dict[str, Any]) -> IntakeInput:
    """The validated submit fields as the one intake input (shared with the check)."""
    return intake_input(
        kind=data["kind"],
        jurisdiction=data["jurisdiction"],
        issuing_authority=data.get("issuing_authority") or "",
        authority_reference=data.get("authority_reference", ""),
        agency_case_number=data.get("agency_case_number", ""),
        targets=[(t["type"], t["value"]) for t in data.get("targets", [])],
        data_categories=data.get("data_categories", []),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        return_date=data.get("return_date"),
        emergency=data["emergency"],
        emergency_justification=data.get("emergency_justification", ""),
        ndo=data["ndo"],
        ndo_expires_on=data.get("ndo_expires_on"),
        document=data.get("legal_process"),
        received_via=ReceivedVia.API,
    )


def _submit_data(case: Any) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "status": case.status,
        "emergency": case.emergency,
        "created_at": case.created_at,
        "deadlines": list(case_deadlines(case).select_related(None)),
    }
