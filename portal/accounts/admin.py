"""Admin for identities; a locked account is released here.

Guarded by ``portal.accounts.grants`` (security review, finding 3): nobody edits their own
access, sensitive roles and teams wait for a second administrator, every change is logged
field by field, and second-factor devices are read-only here (no seeds, no QR codes).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.grants import (
    access_change_split,
    admin_changes_record,
    own_access_refusal,
    role_grant_decide,
    role_grants_request,
)
from portal.accounts.models import Agency, ApiToken, Officer, RoleGrant, Team, User
from portal.accounts.services import user_lock_release
from portal.http import AuthenticatedHttpRequest


def _snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The stored values of ``fields`` (many-to-many as the related objects' names)."""
    values: dict[str, Any] = {}
    if obj.pk is None:
        return values
    stored = type(obj)._default_manager.get(pk=obj.pk)
    for name in fields:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field (e.g. a password confirmation)
            continue
        if field.many_to_many or field.one_to_many:
            values[name] = [str(o) for o in getattr(stored, name).all()]
        elif field.concrete:
            values[name] = getattr(stored, field.attname)
    return values


class AuditedChangesAdmin(admin.ModelAdmin):
    """Logs which fields an admin changed, from what to what (one event per save)."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        self._audit_before = _snapshot(obj, list(form.changed_data)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(self, "_audit_before", {})
        after = _snapshot(obj, list(form.changed_data))
        if not change:
            before = {name: None for name in after}
        admin_changes_record(actor=request.user, obj=obj, before=before, after=after)


class _AccessGuardForm(forms.ModelForm):
    """Refuses, as a form error, a change to one's own roles, teams or permissions."""

    actor: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        instance = self.instance
        subject = instance if isinstance(instance, User) else None
        if isinstance(instance, Team) and "members" in self.changed_data:
            before = set(instance.members.values_list("pk", flat=True)) if instance.pk else set()
            after = {u.pk for u in cleaned.get("members", [])}
            if self.actor.pk in before ^ after:
                subject = self.actor
        if subject is not None and subject.pk is not None:
            changed = set(self.changed_data) | ({"teams"} if isinstance(instance, Team) else set())
            refusal = own_access_refusal(actor=self.actor, user=subject, changed=changed)
            if refusal:
                raise ValidationError(refusal)
        return cleaned


def _guarded_form(admin_form: type[forms.ModelForm], actor: User) -> type[forms.ModelForm]:
    return type(admin_form.__name__, (_AccessGuardForm, admin_form), {"actor": actor})


@admin.register(User)
class UserAdmin(AuditedChangesAdmin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "locked_at")
    list_filter = ("is_active", "groups", ("locked_at", admin.EmptyFieldListFilter))
    readonly_fields = ("locked_at", "lock_released_at", "last_login", "date_joined")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Lockout"), {"fields": ("locked_at", "lock_released_at")}),
        (_("Preferences"), {"fields": ("time_zone",)}),
    )
    actions = ["release_lockout"]

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return _guarded_form(super().get_form(request, obj, change=change, **kwargs), request.user)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """Sensitive roles are held back as pending grants for a second administrator."""
        user = form.instance
        if "groups" in form.cleaned_data:
            before = set(user.groups.values_list("name", flat=True)) if change else set()
            held = access_change_split(
                actor=request.user,
                user=user,
                roles_before=before,
                roles_after=list(form.cleaned_data["groups"]),
                teams_before=set(),
                teams_after=[],
            )
            form.cleaned_data["groups"] = held.roles
            super().save_related(request, form, formsets, change)
            role_grants_request(grants=held.pending, actor=request.user)
            for grant in held.pending:
                self.message_user(
                    request,
                    _("%(role)s for %(user)s waits for a second administrator's approval.")
                    % {"role": grant.role, "user": user},
                    messages.WARNING,
                )
            return
        super().save_related(request, form, formsets, change)

    @admin.action(description=_("Release lockout of selected users"))
    def release_lockout(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        released = 0
        for user in queryset.filter(locked_at__isnull=False):
            user_lock_release(user=user, actor=request.user)
            released += 1
        self.message_user(
            request, _("%(n)d account(s) released.") % {"n": released}, messages.SUCCESS
        )


@admin.register(Agency)
class AgencyAdmin(AuditedChangesAdmin):
    list_display = ("name", "country", "subdivision", "kind", "status")
    search_fields = ("name",)


@admin.register(Officer)
class OfficerAdmin(AuditedChangesAdmin):
    list_display = ("user", "agency", "status", "verified_at")
    list_filter = ("status",)


@admin.register(Team)
class TeamAdmin(AuditedChangesAdmin):
    list_display = ("name", "slug", "is_default")
    filter_horizontal = ("members",)

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return _guarded_form(super().get_form(request, obj, change=change, **kwargs), request.user)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        """New members of a sensitive team wait for a second administrator's approval."""
        team = form.instance
        if "members" not in form.cleaned_data:
            super().save_related(request, form, formsets, change)
            return
        before = set(team.members.values_list("pk", flat=True)) if change else set()
        keep: list[User] = []
        pending: list[User] = []
        for user in form.cleaned_data["members"]:
            held = access_change_split(
                actor=request.user,
                user=user,
                roles_before=set(),
                roles_after=[],
                teams_before={team.pk} if user.pk in before else set(),
                teams_after=[team],
            )
            (keep if held.teams else pending).append(user)
            role_grants_request(grants=held.pending, actor=request.user)
        form.cleaned_data["members"] = keep
        super().save_related(request, form, formsets, change)
        for user in pending:
            self.message_user(
                request,
                _("%(user)s joins %(team)s once a second administrator approves.")
                % {"user": user, "team": team},
                messages.WARNING,
            )


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    """Pending sensitive grants; a second administrator approves or rejects them here."""

    list_display = ("user", "role", "team", "requested_by", "requested_at", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in RoleGrant._meta.fields]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: Any, queryset: QuerySet[RoleGrant], approve: bool) -> None:
        done = 0
        for grant in queryset.filter(status=RoleGrant.Status.PENDING):
            try:
                role_grant_decide(grant=grant, actor=request.user, approve=approve)
                done += 1
            except (PermissionDenied, ValidationError) as refused:
                self.message_user(request, str(refused.args[0]), messages.ERROR)
        self.message_user(request, _("%(n)d request(s) decided.") % {"n": done}, messages.INFO)

    @admin.action(description=_("Approve selected requests (as the second administrator)"))
    def approve(self, request: Any, queryset: QuerySet[RoleGrant]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject selected requests"))
    def reject(self, request: Any, queryset: QuerySet[RoleGrant]) -> None:
        self._decide(request, queryset, approve=False)


# Second factors: read-only here. No seed, no QR code (OTP_ADMIN_HIDE_SENSITIVE_DATA), no
# way to add or edit one for someone else; removing a lost device stays possible, logged.
class ReadOnlyTOTPDeviceAdmin(TOTPDeviceAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        hidden = ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode")
        return [u for u in super().get_urls() if getattr(u, "name", None) not in hidden]


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, ReadOnlyTOTPDeviceAdmin)


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
            api_token_revoke(token=token, actor=request.user)
            for token in queryset.filter(revoked_at__isnull=True)
        )
        self.message_user(request, _("%(n)d token(s) revoked.") % {"n": revoked}, messages.SUCCESS)
