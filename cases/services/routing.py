"""Which team a new case goes to: the routing table, then the default team."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from cases.models import RoutingRule
from portal.accounts.models import Team


def team_route(*, case_type: str, country: str, subdivision: str = "") -> Team:
    """The first routing rule (by position) whose case type and jurisdiction match.

    A blank field in a rule matches anything; a jurisdiction matches the subdivision
    (``US-CA``) or the country (``US``). No match: the default team of the install.
    """
    country = country.upper()
    subdivision = subdivision.upper()
    for rule in RoutingRule.objects.select_related("team").order_by("position", "pk"):
        if rule.case_type and rule.case_type != case_type:
            continue
        if rule.jurisdiction and rule.jurisdiction.upper() not in {country, subdivision}:
            continue
        return rule.team
    team = Team.objects.filter(is_default=True).first() or Team.objects.order_by("pk").first()
    if team is None:
        raise ImproperlyConfigured("No team exists to route cases to; create a default team.")
    return team
