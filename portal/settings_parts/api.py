"""The REST API: DRF, its OpenAPI schema, tokens and the links e-mails carry (imported by
``portal.settings``)."""

from __future__ import annotations

from portal.settings_parts.environment import env

# --- REST API -------------------------------------------------------------------------------
# The API authenticates with bearer tokens only (no session, so no CSRF exposure); errors are
# RFC 9457 problem+json. Views subclass portal.api.views.ApiView (or ApiEndpointMixin).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.auth.HasTokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttles.TokenRateThrottle",
        "portal.api.throttles.PublicRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("LIAISON_API_TOKEN_RATE", default="120/min"),
        "public": env.str("LIAISON_API_PUBLIC_RATE", default="60/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api.exceptions.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison law-enforcement API",
    "DESCRIPTION": (
        "Submit legal process, track it and download productions. Authenticate with "
        "`Authorization: Bearer <token>`; tokens come from the officer portal. Errors are "
        "RFC 9457 problem details (`application/problem+json`) with field-level `errors`. "
        "Each token is rate-limited; a 429 carries `Retry-After`. Every call is logged."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.problem_responses",
        "portal.api.schema.request_links",
    ],
    # Stable names for the domain's choice sets in the schema (cases/api).
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.CaseStatus",
        "ProcessKindEnum": "cases.models.ProcessKind",
        "OfficerProcessKindEnum": "cases.officer.selectors.OFFICER_KINDS",
        "DeadlineKindEnum": "cases.models.DeadlineKind",
        "DeadlineStatusEnum": "cases.models.DeadlineStatus",
        "PreservationStatusEnum": "cases.models.PreservationStatus",
        "TimelineKindEnum": "cases.models.TimelineKind",
        "TargetKindEnum": "cases.models.TargetKind",
        "DataCategoryEnum": "cases.models.DataCategory",
        "ReceivedViaEnum": "cases.models.ReceivedVia",
    },
}
LIAISON_API_TOKEN_DAYS = env.int("LIAISON_API_TOKEN_DAYS", default=90)
# Failed token authentications per client address and window before 429 without a lookup
# (portal/api/auth_failures.py); identical failures are logged 1st, 10th, 100th ... time.
LIAISON_API_AUTH_FAILURES = env.int("LIAISON_API_AUTH_FAILURES", default=20)
LIAISON_API_AUTH_FAILURE_WINDOW = env.int("LIAISON_API_AUTH_FAILURE_WINDOW_SECONDS", default=300)
# Absolute links in e-mails (enrolment links) start with this.
# Default: where `make run` serves (LIAISON_HOST, LIAISON_PORT), so links point at it.
LIAISON_BASE_URL = env.str(
    "LIAISON_BASE_URL",
    default=f"http://{env.str('LIAISON_HOST', default='127.0.0.1')}:"
    f"{env.str('LIAISON_PORT', default='8000')}",
)
LIAISON_ENROLMENT_LINK_HOURS = env.int("LIAISON_ENROLMENT_LINK_HOURS", default=72)
