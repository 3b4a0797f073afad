"""Base classes every API endpoint uses, and ``GET /api/v1/me/``."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_not_required
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.auth import TokenRequest
from portal.audit.access import audit_exempt

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView  # names of the stubs only


class ApiEndpointMixin:
    """Opt API views out of the web login redirect: they authenticate with bearer tokens
    (``REST_FRAMEWORK`` defaults) and answer 401 in problem+json, never a login page.

    Put it first in the bases of generic views too: ``class X(ApiEndpointMixin, ListAPIView)``.
    """

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        return login_not_required(super().as_view(**initkwargs))  # type: ignore[misc]


class ApiView(ApiEndpointMixin, APIView):
    """An API view: bearer token, scope by method, per-token throttle, problem+json errors."""


class MeAgencyOutput(serializers.Serializer):
    """The agency in ``GET /me/``."""

    name = serializers.CharField(help_text="The agency the officer acts for.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    subdivision = serializers.CharField(help_text="ISO 3166-2 subdivision, or empty.")


class MeTokenOutput(serializers.Serializer):
    """The token in ``GET /me/``."""

    name = serializers.CharField(help_text="The label given when the token was made.")
    prefix = serializers.CharField(help_text="Public part of the token, 'lia_<prefix>_…'.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=["read", "submit"]),
        help_text="What the token may do: read (list, track), submit (file, act).",
    )
    expires_at = serializers.DateTimeField(
        default_timezone=UTC, help_text="When the token stops working (UTC)."
    )


class MeOutput(serializers.Serializer):
    """The answer of ``GET /me/``."""

    username = serializers.CharField(help_text="The officer's sign-in name.")
    name = serializers.CharField(help_text="The officer's full name.")
    email = serializers.EmailField(help_text="The officer's official e-mail address.")
    badge_number = serializers.CharField(help_text="Badge or ID number, or empty.")
    agency = MeAgencyOutput(help_text="The officer's agency.")
    token = MeTokenOutput(help_text="The token used for this request.")


@audit_exempt("the caller's own identity; every token use is logged as token_used")
class MeView(ApiView):
    """Who the token belongs to; lets an integration check its token end to end."""

    @extend_schema(
        operation_id="me_retrieve",
        summary="The officer and token behind this request",
        description="Needs the `read` scope. Use it to check that a token works.",
        responses={200: MeOutput},
        examples=[
            OpenApiExample(
                "An officer of Agency A",
                value={
                    "username": "j.doe@a-pd.example.gov",
                    "name": "Jane Doe",
                    "email": "j.doe@a-pd.example.gov",
                    "badge_number": "B-1042",
                    "agency": {"name": "Agency A Police", "country": "US", "subdivision": "US-CA"},
                    "token": {
                        "name": "Case system",
                        "prefix": "k3mxq7ra",
                        "scopes": ["read", "submit"],
                        "expires_at": "2026-04-01T12:00:00Z",
                    },
                },
                response_only=True,
            )
        ],
        tags=["account"],
    )
    def get(self, request: TokenRequest) -> Response:
        user = request.user
        officer = user.officer
        token = request.auth
        data = {
            "username": user.get_username(),
            "name": user.get_full_name(),
            "email": user.email,
            "badge_number": officer.badge_number,
            "agency": officer.agency,
            "token": token,
        }
        return Response(MeOutput(data).data)
