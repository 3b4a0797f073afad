"""``POST /api/v1/requests/check/``: what is wrong or doubtful about a request, before it
is filed. The same fields as filing (the document may be left out); nothing is stored.
Field errors answer 400 like filing does; doubts (``cases.doubts``) answer 200, in the
language the client asks for with ``Accept-Language``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cases.api.collection import RequestsApi, TargetListField, submit_intake_input
from cases.doubts import intake_doubts
from portal.api.auth import TokenRequest
from portal.api.parsers import JSONParser
from portal.api.views import ApiView
from portal.audit.access import audit_exempt


class DoubtOutput(serializers.Serializer):
    field = serializers.CharField(help_text="The input field it is about, or empty.")
    code = serializers.CharField(help_text="Stable code, e.g. beyond_statute, ndo_expired.")
    message = serializers.CharField(help_text="What to know, in the requested language.")


class CheckOutput(serializers.Serializer):
    doubts = DoubtOutput(many=True, help_text="Empty when nothing looks wrong.")


class CheckInput(RequestsApi.SubmitInput):
    """The filing fields; targets and the document may be left out for a check."""

    targets = TargetListField(
        required=False, max_length=100, help_text="As for filing; optional here."
    )


@audit_exempt("shows no case data: it checks the caller's own input against the rules")
class RequestCheckApi(ApiView):
    """``POST``: check a request against the legal rules without filing it."""

    parser_classes = [JSONParser, MultiPartParser]
    required_scope = "submit"

    @extend_schema(
        operation_id="requests_check",
        summary="Check a request before filing it",
        description="Needs the `submit` scope. Answers what the provider will likely narrow "
        "or refuse (a subpoena asking for content, an EU order before 18 August 2026 or from "
        "a state the regulation does not bind, an emergency without its facts, a past "
        "non-disclosure or return date). Nothing is stored.",
        request={"application/json": CheckInput, "multipart/form-data": CheckInput},
        responses={
            200: OpenApiResponse(
                response=CheckOutput,
                examples=[
                    OpenApiExample(
                        "A subpoena asking for content",
                        value={
                            "doubts": [
                                {
                                    "field": "data_categories",
                                    "code": "beyond_statute",
                                    "message": "A subpoena compels basic subscriber "
                                    "information only (18 USC 2703(c)(2)). ...",
                                }
                            ]
                        },
                    )
                ],
            )
        },
        tags=["requests"],
    )
    def post(self, request: TokenRequest) -> Response:
        form = CheckInput(data=request.data)
        form.is_valid(raise_exception=True)
        doubts = intake_doubts(submit_intake_input(form.validated_data))
        shown = [{"field": d.field, "code": d.code, "message": d.message} for d in doubts]
        return Response(CheckOutput({"doubts": shown}).data)
