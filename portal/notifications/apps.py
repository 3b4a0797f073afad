from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """In-app notifications, e-mail and webhook delivery, and the scheduler heartbeat."""

    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Connects the publish hook that stamps the heartbeat's enqueue time, and the
        # configuration checks; both must be live in web, worker and beat processes.
        from portal.notifications import checks, signals  # noqa: F401
