"""Authentication backend that refuses locked accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.backends import ModelBackend

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.accounts.models import User


class LockoutAwareModelBackend(ModelBackend):
    """The model backend, except that a locked account or a system actor (a service
    identity, portal.accounts.system) cannot authenticate at all."""

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        if getattr(user, "is_system_actor", False):
            return False
        return super().user_can_authenticate(user) and not getattr(user, "is_locked", False)
