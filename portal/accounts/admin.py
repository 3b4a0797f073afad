"""Admin for identities; a locked account is released here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency, ApiToken, Officer, Team, User
from portal.accounts.services import user_lock_release
from portal.http import AuthenticatedHttpRequest


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "locked_at")
    list_filter = ("is_active", "groups", ("locked_at", admin.EmptyFieldListFilter))
    readonly_fields = ("locked_at", "lock_released_at", "last_login", "date_joined")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Lockout"), {"fields": ("locked_at", "lock_released_at")}),
        (_("Preferences"), {"fields": ("time_zone",)}),
    )
    actions = ["release_lockout"]

    @admin.action(description=_("Release lockout of selected users"))
    def release_lockout(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        released = 0
        for user in queryset.filter(locked_at__isnull=False):
            user_lock_release(user=user, actor=request.user, request=request)
            released += 1
        self.message_user(
            request, _("%(n)d account(s) released.") % {"n": released}, messages.SUCCESS
        )


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "subdivision", "kind", "status")
    search_fields = ("name",)


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "status", "verified_at")
    list_filter = ("status",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_default")
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued in the officer portal or by ``manage.py issue_api_token`` (which
    show the plaintext once); here they are only listed and revoked."""

    list_display = ("name", "prefix", "user", "scopes", "expires_at", "revoked_at", "last_used_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "user__username", "name")
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[ApiToken]) -> None:
        from portal.accounts.tokens import api_token_revoke

        revoked = sum(
            api_token_revoke(token=token, actor=request.user, request=request)
            for token in queryset.filter(revoked_at__isnull=True)
        )
        self.message_user(request, _("%(n)d token(s) revoked.") % {"n": revoked}, messages.SUCCESS)
