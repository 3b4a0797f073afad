"""Which time zone a person reads times in: the one rule, for pages and messages alike.

1. The zone the user chose on their security page (``User.time_zone``).
2. Staff: the zone of their teams (``Team.time_zone``), when their teams name one zone.
   Teams in different zones name none, and the user is asked to choose.
3. Officers: the main zone of their agency's country, the first zone tzdata's ``zone.tab``
   lists for it (Europe/Berlin for DE, America/New_York for US). An officer in another
   zone of a large country chooses their own.
4. ``LIAISON_BUSINESS_TIME_ZONE`` (UTC unless configured).

Stored times are UTC instants; the zone only changes how they are shown and how a typed
local time is read (``portal.datetimes``). The API always answers in UTC.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from portal.accounts.models import User

UTC = "UTC"


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name this installation knows (tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def zone_is_known(name: str) -> bool:
    return name in zone_names()


def validate_time_zone(name: str) -> None:
    """A model field's validator: an IANA zone name tzdata knows ("Europe/Berlin")."""
    if name and not zone_is_known(name):
        raise ValidationError(
            _("“%(name)s” is not a time zone. Choose one from the list, e.g. Europe/Berlin."),
            code="invalid_time_zone",
            params={"name": name},
        )


@functools.cache
def _country_zones() -> dict[str, str]:
    """ISO 3166 country code -> the first zone ``zone.tab`` lists for it (its main one:
    tzdata lists the most populous region of a country first)."""
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, zone, *_comment = line.split("\t")
        found.setdefault(country, zone)
    return found


def country_zone(country: str) -> str:
    """The main zone of a country, or "" for a code tzdata does not know."""
    return _country_zones().get(country.upper(), "")


@dataclass(frozen=True)
class ZoneChoice:
    """The zone a user reads times in, and where it came from (the profile page says so)."""

    name: str
    source: str  # "user", "team", "agency" or "default"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.name)


def default_zone_name() -> str:
    name = settings.LIAISON_BUSINESS_TIME_ZONE
    return name if zone_is_known(name) else UTC


def user_default_zone(user: User) -> ZoneChoice:
    """The zone the user gets without a choice of their own (rules 2 to 4 above).

    One query: the user's teams' zones and their agency's country in one row set."""
    from portal.accounts.models import User

    rows = User.objects.filter(pk=user.pk).values_list(
        "teams__time_zone", "officer__agency__country"
    )
    team_zones = {team for team, _country in rows if team and zone_is_known(team)}
    if len(team_zones) == 1:
        return ZoneChoice(team_zones.pop(), "team")
    if not team_zones:
        countries = {country for _team, country in rows if country}
        zone = country_zone(countries.pop()) if len(countries) == 1 else ""
        if zone:
            return ZoneChoice(zone, "agency")
    return ZoneChoice(default_zone_name(), "default")


def user_zone_choice(user: User) -> ZoneChoice:
    own = getattr(user, "time_zone", "")
    if own and zone_is_known(own):
        return ZoneChoice(own, "user")
    if not getattr(user, "pk", None):
        return ZoneChoice(default_zone_name(), "default")
    return user_default_zone(user)


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """The zone times are shown to ``user`` in (pages, notifications, e-mails)."""
    return user_zone_choice(user).zone


# The regions of tzdata's zone names, as the zone list groups them.
REGIONS = {
    "Africa": _("Africa"),
    "America": _("Americas"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


@functools.cache
def listed_zone_names() -> tuple[str, ...]:
    """The zones a person picks from: every zone ``zone.tab`` lists for a country, and UTC
    (not the old aliases such as US/Eastern, which name the same zones again)."""
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    names = {
        line.split("\t")[2]
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    }
    return tuple(sorted(name for name in names if zone_is_known(name)))


def zone_label(name: str, now: datetime | None = None) -> str:
    """ "Europe/Berlin (UTC+01:00)": the name and its offset today."""
    moment = (now or datetime.now(tz=zoneinfo.ZoneInfo(UTC))).astimezone(zoneinfo.ZoneInfo(name))
    offset = moment.strftime("%z")
    return f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"


def zone_choices(current: str = "") -> list[tuple[str, Any]]:
    """The zone list grouped by region, UTC first; ``current`` is kept in it even when it
    is an alias the list does not show (set in the admin, say)."""
    now = datetime.now(tz=zoneinfo.ZoneInfo(UTC))
    names = set(listed_zone_names())
    if current and zone_is_known(current):
        names.add(current)
    grouped: dict[str, list[tuple[str, str]]] = {}
    others: list[tuple[str, str]] = [(UTC, zone_label(UTC, now))]
    for name in sorted(names - {UTC}):
        region = name.split("/", 1)[0]
        if region in REGIONS and "/" in name:
            grouped.setdefault(region, []).append((name, zone_label(name, now)))
        else:
            others.append((name, zone_label(name, now)))
    return [*others, *((str(REGIONS[r]), grouped[r]) for r in REGIONS if r in grouped)]
