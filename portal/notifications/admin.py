"""Admin: read-only views of notifications and deliveries; failed deliveries can be re-sent."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.http import AuthenticatedHttpRequest
from portal.notifications.models import Delivery, Heartbeat, Notification
from portal.notifications.services import delivery_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows change only through services, so the admin shows them and nothing more."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("subject", "user", "severity", "kind", "created_at", "read_at")
    list_filter = ("severity", "kind")
    search_fields = ("subject", "user__username", "dedupe_key")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "channel", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel")
    list_select_related = ("notification",)
    actions = ["retry_failed"]

    @admin.action(description=_("Send the selected failed deliveries again"))
    def retry_failed(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Delivery]) -> None:
        retried = sum(
            delivery_retry(delivery=delivery, actor=request.user)
            for delivery in queryset.filter(status=Delivery.Status.FAILED)
        )
        self.message_user(
            request, _("%(n)d delivery(ies) queued again.") % {"n": retried}, messages.SUCCESS
        )


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_seen", "lag")
