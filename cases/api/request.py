"""``/api/v1/requests/{reference}/``: track one request of the agency, extend its
preservation on a renewed request, withdraw it.

``case_get_for_user`` is the gate: another agency's reference is the same logged 404 as a
missing one. Reads are written to the access log here, writes by the services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import DEADLINE_EXAMPLE, Conflict, messages_of, problem_response
from cases.api.serializers import (
    DeadlineOutput,
    PreservationOutput,
    ProcessOutput,
    TargetOutput,
    TimelineEventOutput,
    UtcDateTimeField,
    raise_api_errors,
    status_field,
)
from cases.errors import ConcurrentUpdate
from cases.models import CaseStatus, ReceivedVia
from cases.officer.selectors import PreservationView, preservation_of_request, request_view
from cases.selectors import case_get_for_user
from cases.services import preservation_extend
from cases.workflow import case_transition, transition_get
from portal.api.parsers import JSONParser
from portal.api.views import ApiView
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record


class RequestDetailOutput(serializers.Serializer):
    """A request as its agency sees it: status, deadlines, holds and the public timeline."""

    reference = serializers.CharField(help_text="The provider's reference.")
    status = status_field()
    emergency = serializers.BooleanField(help_text="Handled as an emergency.")
    received_via = serializers.ChoiceField(
        choices=ReceivedVia.choices, help_text="How it arrived: api, portal, email, fax, ..."
    )
    submitted_at = UtcDateTimeField(help_text="When it was filed (UTC).")
    status_changed_at = UtcDateTimeField(help_text="Last status change (UTC).")
    closed_at = UtcDateTimeField(allow_null=True, help_text="When it was closed (UTC), or null.")
    can_withdraw = serializers.BooleanField(help_text="Whether withdraw is possible now.")
    process = ProcessOutput(allow_null=True, help_text="The legal process it was filed with.")
    targets = TargetOutput(many=True, help_text="The identifiers the process names.")
    deadlines = DeadlineOutput(
        many=True,
        help_text="The legal dates that concern the agency: the return date, a hold's expiry, "
        "an authorised period's end, a court order due (not the provider's internal SLAs).",
    )
    preservations = PreservationOutput(many=True, help_text="Holds on the targets' records.")
    timeline = TimelineEventOutput(many=True, help_text="What happened, oldest first.")


def _detail_data(request: Request, reference: str) -> dict[str, Any]:
    case = case_get_for_user(request.user, reference)
    view = request_view(case)
    return {
        "reference": case.reference,
        "status": case.status,
        "emergency": case.emergency,
        "received_via": case.received_via,
        "submitted_at": case.created_at,
        "status_changed_at": case.status_changed_at,
        "closed_at": case.closed_at,
        "can_withdraw": view.can_withdraw,
        "process": view.process,
        "targets": view.targets,
        "deadlines": view.deadlines,
        "preservations": view.preservations,
        "timeline": view.timeline,
        "_case": case,
    }


DETAIL_EXAMPLE = {
    "reference": "LR-2026-000123",
    "status": "triage",
    "emergency": False,
    "received_via": "api",
    "submitted_at": "2026-03-03T15:04:05Z",
    "status_changed_at": "2026-03-04T09:30:00Z",
    "closed_at": None,
    "can_withdraw": True,
    "process": {
        "kind": "us_subpoena",
        "jurisdiction": "US-IL",
        "issuing_authority": "Circuit Court of Example County",
        "authority_reference": "GJ-2026-0412",
        "agency_case_number": "SPD-26-0412",
        "data_categories": ["subscriber"],
        "date_from": "2026-01-01",
        "date_to": "2026-02-28",
        "return_date": None,
        "ndo": False,
        "ndo_expires_on": None,
        "emergency": False,
        "received_at": "2026-03-03T15:04:05Z",
        "document_sha256": "9f2c" + "0" * 60,
    },
    "targets": [
        {"type": "email", "value": "Suspect@Example.com", "normalised": "suspect@example.com"}
    ],
    "deadlines": [DEADLINE_EXAMPLE],
    "preservations": [],
    "timeline": [
        {
            "at": "2026-03-03T15:04:05Z",
            "kind": "intake",
            "text": "Received US subpoena (18 USC 2703(c)(2)) from Circuit Court of Example "
            "County (API).",
        }
    ],
}


@audited(Action.VIEW, object_type="cases.case")
class RequestDetailApi(ApiView):
    """``GET``: one request of the agency."""

    @extend_schema(
        operation_id="requests_retrieve",
        summary="Track a request",
        description="Status, deadlines, preservation holds and the public timeline. Needs "
        "the `read` scope. Another agency's reference answers 404, like a missing one.",
        responses={
            200: OpenApiResponse(
                response=RequestDetailOutput,
                examples=[OpenApiExample("In triage", value=DETAIL_EXAMPLE)],
            )
        },
        tags=["requests"],
    )
    def get(self, request: Request, reference: str) -> Response:
        data = _detail_data(request, reference)
        case = data.pop("_case")
        access_event_record(
            action=Action.VIEW, request=request._request, obj=case, case_reference=case.reference
        )
        return Response(RequestDetailOutput(data).data)


# --- actions on one request -------------------------------------------------------------------


@audited(Action.UPDATE, object_type="cases.preservation")
class RequestExtendPreservationApi(ApiView):
    """``POST``: a renewed request extends a preservation hold."""

    parser_classes = [JSONParser, MultiPartParser]

    class ExtendInput(serializers.Serializer):
        preservation = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="The hold's id (see preservations in the request); may be left out "
            "when the request has exactly one hold in force.",
        )
        note = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=500,
            help_text="About the renewal, e.g. your renewal letter's date and reference.",
        )

    class ExtendOutput(serializers.Serializer):
        """The hold after the extension."""

        reference = serializers.CharField(help_text="The request's reference.")
        preservation = PreservationOutput(help_text="The extended hold.")

    @extend_schema(
        operation_id="requests_extend_preservation",
        summary="Extend a preservation (renewed request)",
        description="Needs the `submit` scope. A renewed request under 18 USC 2703(f)(2) "
        "extends a US hold by 90 days once (180 days in all); an EU preservation order "
        "(Reg. 2023/1543 Art. 11) by 30 days. The new expiry is computed by the rules. "
        "409 when the hold has ended or has no extension left. Retrying is safe: a repeated "
        "extension is refused (409), never applied twice.",
        request=ExtendInput,
        responses={
            200: OpenApiResponse(
                response=ExtendOutput,
                examples=[
                    OpenApiExample(
                        "Extended",
                        value={
                            "reference": "LR-2026-000124",
                            "preservation": {
                                "id": 17,
                                "status": "extended",
                                "starts_at": "2026-01-05T10:00:00Z",
                                "expires_at": "2026-07-05T04:59:59Z",
                                "extensions": 1,
                                "extensions_allowed": 1,
                                "can_extend": False,
                            },
                        },
                    )
                ],
            ),
            **problem_response(409, "The hold has ended, or has no extension left."),
        },
        examples=[
            OpenApiExample(
                "Renewal",
                value={"preservation": 17, "note": "Renewal letter of 2026-03-30, ref. FBE-88"},
                request_only=True,
            )
        ],
        tags=["requests"],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = case_get_for_user(request.user, reference)
        form = self.ExtendInput(data=request.data)
        form.is_valid(raise_exception=True)
        wanted = form.validated_data.get("preservation")
        hold = preservation_of_request(case, wanted)
        if hold is None:
            raise exceptions.ValidationError(
                {
                    "preservation": _("This request has no such hold.")
                    if wanted is not None
                    else _("Name the hold to extend: this request has none or several in force.")
                }
            )
        try:
            hold = preservation_extend(
                preservation=hold,
                actor=request.user,
                note=form.validated_data.get("note", ""),
            )
        except ConcurrentUpdate as error:
            raise Conflict(messages_of(error), code="conflict") from error
        except DjangoValidationError as error:
            raise Conflict(messages_of(error)) from error
        view = PreservationView(hold)
        return Response(self.ExtendOutput({"reference": case.reference, "preservation": view}).data)


@audited(Action.TRANSITION, object_type="cases.case")
class RequestWithdrawApi(ApiView):
    """``POST``: the agency withdraws its request."""

    parser_classes = [JSONParser, MultiPartParser]

    class WithdrawInput(serializers.Serializer):
        reason = serializers.CharField(
            max_length=2000,
            help_text="Why the request is withdrawn; shown to the staff handling it.",
        )

    class WithdrawOutput(serializers.Serializer):
        """The request after withdrawal."""

        reference = serializers.CharField(help_text="The request's reference.")
        status = status_field()
        status_changed_at = UtcDateTimeField(help_text="When it was withdrawn (UTC).")

    @extend_schema(
        operation_id="requests_withdraw",
        summary="Withdraw a request",
        description="Needs the `submit` scope. Possible while the request is open; records "
        "already disclosed stay disclosed. 409 once it is disclosed, rejected, withdrawn or "
        "closed, so a retry never withdraws twice.",
        request=WithdrawInput,
        responses={
            200: OpenApiResponse(
                response=WithdrawOutput,
                examples=[
                    OpenApiExample(
                        "Withdrawn",
                        value={
                            "reference": "LR-2026-000123",
                            "status": "withdrawn",
                            "status_changed_at": "2026-03-05T08:00:00Z",
                        },
                    )
                ],
            ),
            **problem_response(409, "The request can no longer be withdrawn."),
        },
        examples=[
            OpenApiExample(
                "Case resolved",
                value={"reason": "The suspect was identified; records no longer needed."},
                request_only=True,
            )
        ],
        tags=["requests"],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = case_get_for_user(request.user, reference)
        form = self.WithdrawInput(data=request.data)
        form.is_valid(raise_exception=True)
        if transition_get(case.status, CaseStatus.WITHDRAWN) is None:
            raise Conflict(
                _("A request that is %(status)s can no longer be withdrawn.")
                % {"status": case.get_status_display()}
            )
        try:
            result = case_transition(
                case=case,
                to_status=CaseStatus.WITHDRAWN,
                actor=request.user,
                reason=form.validated_data["reason"],
            )
        except ConcurrentUpdate as error:
            raise Conflict(messages_of(error), code="conflict") from error
        except DjangoValidationError as error:
            raise_api_errors(error, {"to_status": None})
        withdrawn = result.case
        return Response(
            self.WithdrawOutput(
                {
                    "reference": withdrawn.reference,
                    "status": withdrawn.status,
                    "status_changed_at": withdrawn.status_changed_at,
                }
            ).data
        )
