"""What every page's shell needs: the navigation for the user's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from portal.accounts.roles import Capability, has_capability, user_roles

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a dev dependency: only for annotations


@dataclass(frozen=True)
class NavItem:
    label: StrOrPromise  # lazy: translated when the page renders, in the viewer's language
    url_name: str
    capability: Capability


# One list; an entry shows when its URL exists and the user holds its capability.
NAVIGATION = [
    NavItem(_("Queue"), "cases:queue", Capability.WORK_CASES),
    NavItem(_("New intake"), "cases:intake", Capability.INTAKE),
    NavItem(_("My requests"), "officer:requests", Capability.SUBMIT_REQUESTS),
    NavItem(_("Officers"), "officers:list", Capability.MANAGE_OFFICERS),
    NavItem(_("Access log"), "audit:events", Capability.READ_AUDIT_LOG),
    NavItem(_("Administration"), "admin:index", Capability.ADMINISTER),
]


class _ShownItem(TypedDict):
    label: StrOrPromise
    url: str
    active: bool


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[_ShownItem] = []
    if user is not None and user.is_authenticated and user.is_verified():
        for item in NAVIGATION:
            if not has_capability(user, item.capability):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            items.append({"label": item.label, "url": url, "active": False})
    # Only the most specific entry is current: /cases/new/ is "New intake", not also "Queue".
    matches = [i for i in items if request.path.startswith(i["url"])]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items, "user_roles": sorted(user_roles(user)) if user else []}
