"""Demo identities for ``make run``: teams, staff of every role, agencies and officers.

All names, domains and numbers are fictitious (example.gov / example.com, 555 numbers).
Each run resets the demo users' passwords and second factors, so the printed logins work.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.models import Agency, Officer, Team, User
from portal.accounts.roles import Role
from portal.accounts.services import backup_codes_generate

DEMO_PASSWORD = "liaison-demo-2026"  # noqa: S105 - printed demo login, never production

TEAMS = [
    # slug, name, is the default team, zone its members see times in (portal/accounts/zones)
    ("default", "Legal response", True, "America/Chicago"),
    ("emea", "EMEA", False, "Europe/Dublin"),
    ("child-safety", "Child safety", False, "America/New_York"),
]

STAFF = [
    # username, first, last, roles, teams
    ("responder", "Riley", "Responder", [Role.RESPONDER], ["default"]),
    ("legal", "Lee", "Counsel", [Role.LEGAL], ["default", "emea"]),
    ("analyst", "Casey", "Analyst", [Role.CHILD_SAFETY], ["child-safety"]),
    ("supervisor", "Sam", "Supervisor", [Role.SUPERVISOR], ["default", "emea", "child-safety"]),
    ("auditor", "Avery", "Auditor", [Role.AUDITOR], ["default", "emea", "child-safety"]),
    ("emea", "Eli", "Responder", [Role.RESPONDER], ["emea"]),
    ("admin", "Ada", "Admin", [Role.ADMIN], []),
]

AGENCIES = [
    {
        "name": "Springfield Police Department",
        "country": "US",
        "subdivision": "US-IL",
        "kind": Agency.Kind.LOCAL,
        "email_domains": ["springfield-pd.example.gov"],
        "directory_phone": "+12175550100",
    },
    {
        "name": "Federal Bureau of Examples",
        "country": "US",
        "subdivision": "",
        "kind": Agency.Kind.FEDERAL,
        "email_domains": ["fbe.example.gov"],
        "directory_phone": "+12025550142",
    },
    {
        "name": "Landespolizei Beispielland",
        "country": "DE",
        "subdivision": "DE-BE",
        "kind": Agency.Kind.FOREIGN,
        "email_domains": ["polizei.example.de"],
        "directory_phone": "+12025550177",
    },
]

OFFICERS = [
    # username, email, first, last, agency, badge
    ("officer.a", "j.doe@springfield-pd.example.gov", "Jordan", "Doe", 0, "SPD-4411"),
    ("officer.b", "m.roe@fbe.example.gov", "Morgan", "Roe", 1, "FBE-0925"),
    ("officer.de", "k.muster@polizei.example.de", "Kim", "Muster", 2, "LPB-118"),
]


def _secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _reset_user(user: User, roles: list[Role]) -> dict[str, Any]:
    user.set_password(DEMO_PASSWORD)
    user.is_active = True
    user.locked_at = None
    user.save()
    user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
    codes = backup_codes_generate(user=user)
    return {"username": user.username, "roles": roles, "secret": _secret(device), "codes": codes}


@transaction.atomic
def load_demo(context: dict[str, Any]) -> None:
    """Create or reset the demo identities and record them in ``context`` for later apps."""
    teams = {}
    for slug, name, is_default, zone in TEAMS:
        if is_default:
            team = Team.objects.get(is_default=True)
        else:
            team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
        if not team.time_zone:  # a zone an administrator set is kept
            team.time_zone = zone
            team.save(update_fields=["time_zone"])
        teams[slug] = team
    logins = []
    staff = {}
    for username, first, last, roles, team_slugs in STAFF:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@provider.example.com",
            },
        )
        if Role.ADMIN in roles:
            user.is_staff = user.is_superuser = True
        logins.append(_reset_user(user, roles))
        for slug in team_slugs:
            teams[slug].members.add(user)
        staff[username] = user
    agencies = []
    for spec in AGENCIES:
        agency, _ = Agency.objects.update_or_create(name=spec["name"], defaults=spec)
        agencies.append(agency)
    officers = []
    for username, email, first, last, agency_index, badge in OFFICERS:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": email}
        )
        logins.append(_reset_user(user, [Role.OFFICER]))
        officer, _ = Officer.objects.update_or_create(
            user=user,
            defaults={
                "agency": agencies[agency_index],
                "badge_number": badge,
                "phone": "+12025550123",
                "status": Officer.Status.VERIFIED,
                "verification_note": "Demo: verified by call-back to the directory number.",
            },
        )
        officers.append(officer)
    context.update(
        {
            "teams": teams,
            "staff": staff,
            "agencies": agencies,
            "officers": officers,
            "logins": logins,
            "password": DEMO_PASSWORD,
        }
    )
