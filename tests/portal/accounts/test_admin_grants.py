"""Finding 3 of the security review (IA-5, AC-5, AC-6): the admin role could read every TOTP
seed and grant itself anything (the supervisor role, the child-safety team), and the access
log said only "update accounts.user 7". Each test plays the administrator's attack."""

from __future__ import annotations

import lxml.html
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal.accounts.models import RoleGrant, Team, User
from portal.accounts.roles import Role
from portal.audit.models import AccessEvent
from tests.factories import UserFactory, totp_device, verified_client

pytestmark = pytest.mark.django_db


def form_data(client: Client, url: str) -> dict[str, list[str]]:
    """What the admin's change form would post back unchanged (as a browser would)."""
    page = lxml.html.fromstring(client.get(url).content)
    form = page.xpath('//form[@id and contains(@id, "_form")]')[0]
    data: dict[str, list[str]] = {}
    for field in form.inputs:
        name = field.name
        if not name or getattr(field, "type", "") in ("submit", "button", "file"):
            continue
        if getattr(field, "type", "") == "checkbox":
            if field.checked:
                data.setdefault(name, []).append(field.value or "on")
            continue
        value = field.value
        if isinstance(value, lxml.html.MultipleSelectOptions):
            data[name] = list(value)
        elif value is not None:
            data[name] = [value]
    return data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def group(role: Role) -> Group:
    return Group.objects.get_or_create(name=role)[0]


@pytest.fixture
def second_admin(db):
    user = UserFactory(username="admin2", roles=[Role.ADMIN])
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def child_safety_team(db):
    return Team.objects.get_or_create(slug="child-safety", defaults={"name": "Child safety"})[0]


def test_an_admin_cannot_give_itself_the_supervisor_role(admin_user):
    client = verified_client(admin_user)
    url = change_url(admin_user)
    data = form_data(client, url)
    data["groups"] = [*data.get("groups", []), str(group(Role.SUPERVISOR).pk)]
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the refusal
    assert "Nobody changes their own roles" in response.content.decode()
    assert not admin_user.groups.filter(name=Role.SUPERVISOR).exists()


def test_an_admin_cannot_join_the_child_safety_team_itself(admin_user, child_safety_team):
    client = verified_client(admin_user)
    url = change_url(child_safety_team)
    data = form_data(client, url)
    data["members"] = [*data.get("members", []), str(admin_user.pk)]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Nobody changes their own roles" in response.content.decode()
    assert not child_safety_team.members.filter(pk=admin_user.pk).exists()


def test_a_sensitive_role_waits_for_a_second_administrator(admin_user, second_admin, responder):
    # GIVEN an admin who grants the auditor role to a responder
    client = verified_client(admin_user)
    url = change_url(responder)
    data = form_data(client, url)
    data["groups"] = [*data.get("groups", []), str(group(Role.AUDITOR).pk)]
    response = client.post(url, data, follow=True)
    assert "waits for a second administrator" in response.content.decode()
    # THEN it is not applied, only requested (and logged)
    assert not responder.groups.filter(name=Role.AUDITOR).exists()
    grant = RoleGrant.objects.get(user=responder, role=Role.AUDITOR)
    assert grant.status == RoleGrant.Status.PENDING
    assert AccessEvent.objects.filter(action="role_grant_requested", actor=admin_user).exists()
    changelist = reverse("admin:accounts_rolegrant_changelist")
    # WHEN the same admin tries to approve its own request
    client.post(changelist, {"action": "approve", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.PENDING
    # AND a second administrator approves it
    verified_client(second_admin).post(
        changelist, {"action": "approve", "_selected_action": [grant.pk]}
    )
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.APPROVED
    assert grant.decided_by == second_admin
    assert responder.groups.filter(name=Role.AUDITOR).exists()
    approved = AccessEvent.objects.get(action="role_grant_approved")
    assert approved.actor == second_admin
    assert approved.details["requested_by"] == admin_user.username


def test_the_log_names_each_changed_field_from_and_to(admin_user, responder):
    client = verified_client(admin_user)
    url = change_url(responder)
    data = form_data(client, url)
    old_email = responder.email
    data["email"] = ["renamed@provider.example.com"]
    data["groups"] = [*data.get("groups", []), str(group(Role.LEGAL).pk)]  # not sensitive
    assert client.post(url, data).status_code == 302
    event = AccessEvent.objects.get(action="update", object_id=str(responder.pk))
    changes = event.details["changes"]
    assert changes["email"] == [old_email, "renamed@provider.example.com"]
    assert changes["groups"] == [[Role.RESPONDER], sorted([Role.LEGAL, Role.RESPONDER])]
    assert User.objects.get(pk=responder.pk).groups.filter(name=Role.LEGAL).exists()


def test_second_factor_devices_are_read_only_and_show_no_seed(admin_user, responder):
    device = totp_device(responder)
    client = verified_client(admin_user)
    page = client.get(change_url(device))
    assert page.status_code == 200
    text = page.content.decode()
    assert device.key not in text
    assert 'name="key"' not in text
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    for suffix in ("config/", "qrcode/"):
        response = client.get(change_url(device).replace("change/", suffix))
        assert response.status_code in (302, 404)  # no such page (the admin redirects)
        assert device.key not in response.content.decode()
    # a post to the change page changes nothing
    client.post(change_url(device), {"name": "renamed", "user": responder.pk})
    device.refresh_from_db()
    assert device.name == "test app"
