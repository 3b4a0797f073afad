"""Which zone a person reads times in, and choosing it on the security page (issue 9,
item 10): their own choice, else their team's, else their agency's country, else the
default; a name that is no zone is refused and nothing changes; a change is logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.accounts.models import Team
from portal.accounts.services import user_time_zone_set
from portal.accounts.zones import country_zone, user_zone_choice, zone_choices
from portal.audit.models import AccessEvent
from tests.factories import AgencyFactory, OfficerFactory, UserFactory, verified_client

pytestmark = pytest.mark.django_db

SECURITY = reverse("accounts:security")
TIME_ZONE = reverse("accounts:time_zone")


def zone_of(user) -> tuple[str, str]:
    choice = user_zone_choice(user)
    return choice.name, choice.source


@pytest.fixture
def emea():
    return Team.objects.create(name="EMEA", slug="emea", time_zone="Europe/Dublin")


def test_a_staff_member_without_a_choice_reads_their_teams_zone(responder, emea, settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "UTC"
    assert zone_of(responder) == ("UTC", "default")  # the default team names no zone
    responder.teams.set([emea])
    assert zone_of(responder) == ("Europe/Dublin", "team")


def test_their_own_choice_wins_over_the_team(responder, emea):
    responder.teams.add(emea)
    responder.time_zone = "Asia/Tokyo"
    assert zone_of(responder) == ("Asia/Tokyo", "user")


def test_teams_in_different_zones_give_the_default_zone(responder, emea, settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "America/Chicago"
    Team.objects.filter(is_default=True).update(time_zone="America/New_York")
    responder.teams.add(emea)
    assert zone_of(responder) == ("America/Chicago", "default")
    # a team without a zone does not count against the one that has one
    Team.objects.filter(is_default=True).update(time_zone="")
    assert zone_of(responder) == ("Europe/Dublin", "team")


def test_an_officer_reads_their_agencys_country_zone():
    officer = OfficerFactory(agency=AgencyFactory(country="DE", subdivision="DE-BE"))
    assert zone_of(officer.user) == ("Europe/Berlin", "agency")
    assert country_zone("us") == "America/New_York"  # a large country: its first zone
    assert country_zone("XX") == ""


def test_a_zone_no_longer_known_falls_back_instead_of_failing(responder, settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "Mars/Olympus_Mons"
    responder.time_zone = "Atlantis/Capital"
    assert zone_of(responder) == ("UTC", "default")


def test_setting_a_zone_is_stored_and_logged_with_before_and_after(responder):
    assert user_time_zone_set(user=responder, time_zone="Europe/Berlin", actor=responder)
    responder.refresh_from_db()
    assert responder.time_zone == "Europe/Berlin"
    event = AccessEvent.objects.get(action="time_zone_changed")
    assert event.actor == responder and event.object_id == str(responder.pk)
    assert event.details == {"before": "", "after": "Europe/Berlin"}
    # the same zone again changes nothing and logs nothing
    assert not user_time_zone_set(user=responder, time_zone="Europe/Berlin", actor=responder)
    assert AccessEvent.objects.filter(action="time_zone_changed").count() == 1
    # empty: back to the team's zone
    assert user_time_zone_set(user=responder, time_zone="", actor=responder)
    responder.refresh_from_db()
    assert responder.time_zone == ""


def test_a_name_that_is_no_zone_is_refused_and_nothing_changes(responder):
    with pytest.raises(ValidationError) as refused:
        user_time_zone_set(user=responder, time_zone="Europe/Gotham", actor=responder)
    assert "is not a time zone" in refused.value.message_dict["time_zone"][0]
    responder.refresh_from_db()
    assert responder.time_zone == ""
    assert not AccessEvent.objects.filter(action="time_zone_changed").exists()


def test_nobody_sets_another_persons_zone(responder, supervisor):
    with pytest.raises(PermissionDenied):
        user_time_zone_set(user=responder, time_zone="Europe/Berlin", actor=supervisor)


def test_the_list_is_grouped_by_region_with_utc_first():
    choices = zone_choices()
    assert choices[0][0] == "UTC"
    groups = {name: dict(zones) for name, zones in choices if isinstance(zones, list)}
    assert groups["Europe"]["Europe/Berlin"] in {
        "Europe/Berlin (UTC+01:00)",
        "Europe/Berlin (UTC+02:00)",
    }
    assert groups["Americas"]["America/Argentina/Buenos_Aires"].startswith(
        "America/Argentina/Buenos Aires (UTC-03:00)"
    )
    assert "US/Eastern" not in str(choices)  # aliases are not listed twice
    assert "US/Eastern" in str(zone_choices("US/Eastern"))  # unless it is the one in use


def test_the_security_page_offers_the_teams_zone_first(responder, emea):
    responder.teams.set([emea])
    page = verified_client(responder).get(SECURITY)
    assert page.status_code == 200
    assert '<option value="" selected>Use my team&#x27;s zone (Europe/Dublin)</option>' in page.text
    assert "Times are shown in <strong>Europe/Dublin</strong>" in page.text


def test_choosing_a_zone_on_the_security_page_changes_the_times_shown(responder):
    client = verified_client(responder)
    answer = client.post(TIME_ZONE, {"time_zone": "Europe/Berlin"})
    assert answer.status_code == 302 and answer["Location"] == SECURITY
    page = client.get(SECURITY)
    assert "Times are now shown in Europe/Berlin." in page.text
    assert 'class="tz"' in page.text and ">Europe/Berlin</a>" in page.text
    assert '<option value="Europe/Berlin" selected>' in page.text


def test_a_bad_zone_on_the_page_is_a_field_error_and_nothing_changes(responder):
    page = verified_client(responder).post(TIME_ZONE, {"time_zone": "Europe/Gotham"})
    assert page.status_code == 400
    assert "“Europe/Gotham” is not a time zone." in page.text
    responder.refresh_from_db()
    assert responder.time_zone == ""


def test_the_zone_form_needs_both_factors(responder):
    import time

    from django.test import Client

    from portal.accounts.middleware import AUTH_AT_KEY

    client = Client()
    client.force_login(responder)  # the password step only
    session = client.session
    session[AUTH_AT_KEY] = time.time()
    session.save()
    answer = client.post(TIME_ZONE, {"time_zone": "Europe/Berlin"})
    assert answer.status_code == 302 and answer["Location"] == reverse("accounts:verify")
    responder.refresh_from_db()
    assert responder.time_zone == ""


def test_a_user_who_chose_nothing_sees_times_in_the_teams_zone_on_every_page():
    berliner = UserFactory()
    Team.objects.create(name="Berlin", slug="berlin", time_zone="Europe/Berlin").members.add(
        berliner
    )
    page = verified_client(berliner).get(SECURITY)
    assert ">Europe/Berlin</a>" in page.text
