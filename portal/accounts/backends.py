"""Authentication backend that refuses locked accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.backends import ModelBackend

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.accounts.models import User


class LockoutAwareModelBackend(ModelBackend):
    """The model backend, except that a locked account cannot authenticate at all."""

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None
