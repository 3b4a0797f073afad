"""Reads for the officer pages; each takes the user and answers only what they may see."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from portal.accounts.models import Agency, ApiToken, Officer, User
from portal.accounts.roles import Capability, has_capability


def officers_visible_to(user: User) -> QuerySet[Officer]:
    """Staff who manage officers see all of them; nobody else sees any."""
    if not has_capability(user, Capability.MANAGE_OFFICERS):
        return Officer.objects.none()
    return Officer.objects.select_related("user", "agency", "verified_by")


def officer_get_for_staff(user: User, pk: int) -> Officer:
    """The gate for one officer: missing and forbidden are both 404."""
    officer = officers_visible_to(user).filter(pk=pk).first()
    if officer is None:
        raise Http404
    return officer


def agencies_visible_to(user: User) -> QuerySet[Agency]:
    if not has_capability(user, Capability.MANAGE_OFFICERS):
        return Agency.objects.none()
    return Agency.objects.annotate(officer_count=Count("officers"))


def agency_get_for_staff(user: User, pk: int) -> Agency:
    agency = agencies_visible_to(user).filter(pk=pk).first()
    if agency is None:
        raise Http404
    return agency


def api_token_get_for_owner(user: User, pk: int) -> ApiToken:
    """An officer's own token; another user's token is 404."""
    token = ApiToken.objects.select_related("user").filter(pk=pk, user=user).first()
    if token is None:
        raise Http404
    return token


def api_token_get_for_staff(user: User, pk: int) -> ApiToken:
    token = (
        ApiToken.objects.select_related("user")
        .filter(pk=pk, user__officer__in=officers_visible_to(user))
        .first()
    )
    if token is None:
        raise Http404
    return token
