"""What every page's shell needs: the navigation for the user's roles."""

from __future__ import annotations

from collections.abc import Callable
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
    """One entry of the navigation; it shows when its URL exists and ``allowed(user)``."""

    label: StrOrPromise  # lazy: translated when the page renders, in the viewer's language
    url_name: str
    allowed: Callable[[Any], bool]
    order: int


def _capability(capability: Capability) -> Callable[[Any], bool]:
    return lambda user: has_capability(user, capability)


# The platform's own entries; a domain app adds its entries with ``nav_item_register``
# from its AppConfig.ready (the platform knows no domain).
NAVIGATION = [
    NavItem(_("My requests"), "officer:requests", _capability(Capability.SUBMIT_REQUESTS), 30),
    NavItem(_("Officers"), "officers:list", _capability(Capability.MANAGE_OFFICERS), 40),
    NavItem(_("Access log"), "audit:events", _capability(Capability.READ_AUDIT_LOG), 50),
    NavItem(_("Administration"), "admin:index", _capability(Capability.ADMINISTER), 60),
]


def nav_item_register(item: NavItem) -> None:
    """Add an entry (once per URL name), kept in ``order``."""
    if any(existing.url_name == item.url_name for existing in NAVIGATION):
        return
    NAVIGATION.append(item)
    NAVIGATION.sort(key=lambda entry: entry.order)


class _ShownItem(TypedDict):
    label: StrOrPromise
    url: str
    active: bool


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[_ShownItem] = []
    if user is not None and user.is_authenticated and user.is_verified():
        for item in NAVIGATION:
            if not item.allowed(user):
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
