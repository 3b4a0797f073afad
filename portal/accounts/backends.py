"""Authentication backend that refuses locked accounts."""

from django.contrib.auth.backends import ModelBackend


class LockoutAwareModelBackend(ModelBackend):
    """The model backend, except that a locked account cannot authenticate at all."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None
