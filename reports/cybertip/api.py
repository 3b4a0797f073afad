"""``GET /api/v1/referrals/``: urgent referrals sent to the calling officer's agency.

Officers of a verified agency only (the token's officer in good standing); anyone else
gets an empty list. Each page is one ``list`` event in the access log.
"""

from __future__ import annotations

from datetime import UTC

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cases.api.common import problem_response
from portal.api.auth import TokenRequest
from portal.api.pagination import StandardPagination
from portal.api.views import ApiView
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_list_record
from reports.cybertip.referrals import referrals_for_officer


class ReferralOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The referral's number.")
    provider_reference = serializers.CharField(
        source="case.reference", help_text="The provider's case reference, to quote on calls."
    )
    basis = serializers.CharField(help_text="2702b8 (contents) or 2702c4 (records).")
    emergency = serializers.CharField(help_text="The danger the provider believes in good faith.")
    disclosed = serializers.CharField(help_text="What the provider discloses.")
    sent_at = serializers.DateTimeField(default_timezone=UTC, help_text="When it was sent (UTC).")
    ncmec_report_id = serializers.IntegerField(
        source="report.ncmec_report_id",
        allow_null=True,
        default=None,
        help_text="The CyberTipline report number, once filed.",
    )


class ReferralPageOutput(serializers.Serializer):
    """One page of the agency's urgent referrals, newest first (``StandardPagination``)."""

    count = serializers.IntegerField(help_text="Referrals to your agency in all.")
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(
        allow_null=True, help_text="The previous page; null on the first."
    )
    results = ReferralOutput(many=True, help_text="The referrals on this page.")


@audited(Action.LIST, object_type="cybertip.urgentreferral")
class ReferralsApi(ApiView):
    """``GET``: urgent referrals sent to the officer's agency, newest first."""

    @extend_schema(
        operation_id="referrals_list",
        summary="Urgent referrals to your agency",
        description="Voluntary emergency disclosures (18 USC 2702(b)(8), (c)(4)) the provider "
        "sent to your agency after two-person approval. Newest first, 50 per page "
        "(`page_size` up to 200). Needs the `read` scope.",
        parameters=[
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description="Page number, from 1."
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": 200},
                description="Referrals per page, 1 to 200 (default 50).",
            ),
        ],
        responses={
            200: OpenApiResponse(
                response=ReferralPageOutput,
                examples=[
                    OpenApiExample(
                        "One referral",
                        value={
                            "count": 1,
                            "next": None,
                            "previous": None,
                            "results": [
                                {
                                    "id": 7,
                                    "provider_reference": "CS-2026-000042",
                                    "basis": "2702b8",
                                    "emergency": "Live stream of abuse of a child, ongoing.",
                                    "disclosed": "Account id, last login IP, stream URL.",
                                    "sent_at": "2026-12-01T20:05:00Z",
                                    "ncmec_report_id": None,
                                }
                            ],
                        },
                    )
                ],
            ),
            **problem_response(404, "The page does not exist."),
        },
        tags=["referrals"],
    )
    def get(self, request: TokenRequest) -> Response:
        paginator = StandardPagination()
        page = paginator.paginate_queryset(
            referrals_for_officer(request.user).select_related("report"), request, view=self
        )
        rows = page or []
        access_list_record(
            request=request._request, object_type="cybertip.urgentreferral", objects=rows
        )
        return paginator.get_paginated_response(ReferralOutput(rows, many=True).data)
