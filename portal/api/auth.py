"""``Authorization: Bearer <token>`` for DRF, and the scope permission."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from portal.accounts.models import ApiToken, User
from portal.accounts.tokens import (
    TokenRefused,
    api_token_check,
    api_token_record_refusal,
    api_token_record_use,
)
from portal.api.auth_failures import auth_failure_count, auth_failures_blocked

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while rest_framework.views is half loaded.
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView


class TokenRequest(Request):
    """For annotations: a request past the default permissions (``IsAuthenticated``), so the
    bearer token authenticated it: ``user`` is the token's owner and ``auth`` the token."""

    user: User
    auth: ApiToken


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticate with an API token; every use, accepted or refused, is in the access log.

    Nothing is cached between requests: revocation, expiry, a locked account and a suspended
    officer or agency all take effect on the next request.
    """

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as 'Authorization: Bearer <token>'.")
            )
        # Before any lookup: an address that keeps failing is slowed down here (finding 6).
        if auth_failures_blocked(request._request):
            raise exceptions.Throttled(
                wait=settings.LIAISON_API_AUTH_FAILURE_WINDOW,
                detail=_("Too many failed authentications from this address; wait and retry."),
            )
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            auth_failure_count(request._request, reason="invalid", prefix="")
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from exc
        try:
            token = api_token_check(plaintext=plaintext)
        except TokenRefused as refused:
            repeats = auth_failure_count(
                request._request,
                reason=refused.reason,
                prefix=refused.token.prefix if refused.token is not None else "",
            )
            if repeats is not None:  # the 1st, 10th, 100th ... identical failure
                api_token_record_refusal(refused=refused, request=request._request, repeats=repeats)
            raise exceptions.AuthenticationFailed(refused.message, code=refused.reason) from None
        api_token_record_use(token=token, request=request._request)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasTokenScope(BasePermission):
    """Reading needs the ``read`` scope, anything else ``submit``.

    A view may name its own with ``required_scope``. Requests not made with a token (the
    public schema, docs and verification endpoints) are left to the other permissions.
    """

    message = _("This token lacks the scope this operation needs.")
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = getattr(view, "required_scope", None) or (
            ApiToken.Scope.READ if request.method in SAFE_METHODS else ApiToken.Scope.SUBMIT
        )
        return scope in token.scopes


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI document so the docs page offers 'Authorize'."""

    target_class = "portal.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lia_<prefix>_<secret>",
            "description": (
                "An API token from the officer portal (Tokens) or from an administrator. "
                "Scopes: read (list and track requests), submit (file and act on requests)."
            ),
        }
