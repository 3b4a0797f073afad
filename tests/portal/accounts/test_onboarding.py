"""Agency and officer onboarding (issue 6): application with a domain check, call-back
verification by staff, one-time enrolment link, suspension, risk signals, bulk commands.
Flows read GIVEN / WHEN / THEN."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts.enrolment import enrolment_link, enrolment_token_user
from portal.accounts.models import Agency, Officer, User
from portal.accounts.onboarding import agency_create, officer_apply, officer_approve
from portal.accounts.onboarding_risk import officer_risk_signals
from portal.accounts.roles import Role, has_role
from portal.audit.models import AccessEvent
from tests.factories import AgencyFactory, OfficerFactory, verified_client

NEW_PASSWORD = "a long and fresh passphrase 2718"


@pytest.fixture
def agency(db):
    return AgencyFactory(
        name="Springfield Police Department",
        email_domains=["springfield-pd.example.gov"],
        directory_phone="+12025550100",
    )


def application(agency: Agency, **overrides) -> dict:
    data = {
        "first_name": "Ada",
        "last_name": "Reyes",
        "agency": agency.pk,
        "badge_number": "SPD-4471",
        "email": "ada.reyes@springfield-pd.example.gov",
        "phone": "+1 202 555 0142",
    }
    data.update(overrides)
    return data


def apply(agency: Agency, **overrides):
    return Client().post(reverse("officer:apply"), application(agency, **overrides))


def link_in(message) -> str:
    match = re.search(r"https?://\S+/officer/enrol/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- applying -------------------------------------------------------------------------------


def test_an_officer_applies_from_an_agency_domain(agency):
    answer = apply(agency)

    assert answer.status_code == 302
    assert answer["Location"] == reverse("officer:apply_done")
    officer = Officer.objects.get()
    assert officer.status == Officer.Status.APPLIED
    assert officer.agency == agency
    assert officer.phone == "+12025550142"
    assert officer.user.is_active is False
    assert not officer.user.has_usable_password()
    assert not has_role(officer.user, Role.OFFICER)
    assert mail.outbox[0].to == ["ada.reyes@springfield-pd.example.gov"]
    assert AccessEvent.objects.filter(action="officer_applied", object_id=str(officer.pk)).exists()


def test_a_subdomain_of_the_agency_domain_is_accepted(agency):
    answer = apply(agency, email="ada.reyes@cyber.springfield-pd.example.gov")

    assert answer.status_code == 302
    assert Officer.objects.get().user.email == "ada.reyes@cyber.springfield-pd.example.gov"


@pytest.mark.parametrize(
    "email",
    [
        "ada.reyes@gmail.example.com",
        "ada.reyes@evil-springfield-pd.example.gov",  # suffix, not a subdomain
        "ada.reyes@springfield-pd.example.gov.attacker.example.com",
        "ada.reyes@example.gov",  # the parent domain
    ],
)
def test_an_address_outside_the_agency_domains_is_refused_on_the_email_field(agency, email):
    answer = apply(agency, email=email)

    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert list(errors) == ["email"]
    assert "springfield-pd.example.gov" in errors["email"][0]
    assert not User.objects.filter(email=email).exists()
    assert not Officer.objects.exists()
    assert not mail.outbox


def test_a_bad_phone_number_is_a_field_error(agency):
    answer = apply(agency, phone="12")

    assert answer.status_code == 200
    assert list(answer.context["form"].errors) == ["phone"]
    assert not Officer.objects.exists()


def test_a_suspended_agency_cannot_be_chosen(agency):
    agency.status = Agency.Status.SUSPENDED
    agency.save()

    answer = apply(agency)

    assert answer.status_code == 200
    assert "agency" in answer.context["form"].errors
    assert not Officer.objects.exists()


def test_applying_with_an_address_that_has_an_account_reveals_nothing(agency, officer_a):
    OfficerFactory(agency=agency, user__email="ada.reyes@springfield-pd.example.gov")

    answer = apply(agency)

    assert answer.status_code == 302
    assert answer["Location"] == reverse("officer:apply_done")
    assert Officer.objects.filter(agency=agency).count() == 1
    assert "already exists" in mail.outbox[0].body


def test_the_service_checks_the_domain_too(agency):
    with pytest.raises(ValidationError):
        officer_apply(
            first_name="A",
            last_name="B",
            agency=agency,
            badge_number="1",
            email="a@elsewhere.example.com",
            phone="+12025550142",
        )


# --- staff verify by call-back --------------------------------------------------------------


def test_staff_see_pending_applications_and_the_directory_number_to_call(agency, supervisor):
    apply(agency)
    officer = Officer.objects.get()
    client = verified_client(supervisor)

    listing = client.get(reverse("officers:list"))
    detail = client.get(reverse("officers:detail", args=[officer.pk]))

    assert listing.status_code == 200
    assert "ada.reyes@springfield-pd.example.gov" in listing.content.decode()
    assert detail.status_code == 200
    callback = re.search(r'data-testid="callback-number">([^<]+)<', detail.content.decode()).group(
        1
    )
    assert callback == "+12025550100"  # the agency's directory number...
    assert callback != officer.phone  # ...never the applicant's


@pytest.mark.parametrize("persona", ["responder", "auditor", "officer_a"])
def test_people_who_do_not_manage_officers_get_404(agency, persona, request):
    apply(agency)
    officer = Officer.objects.get(agency=agency)
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    client = verified_client(user)

    assert client.get(reverse("officers:list")).status_code == 404
    assert client.get(reverse("officers:detail", args=[officer.pk])).status_code == 404
    approve = client.post(
        reverse("officers:approve", args=[officer.pk]), {"called_back": "on", "note": "x"}
    )
    assert approve.status_code == 404
    assert Officer.objects.get(pk=officer.pk).status == Officer.Status.APPLIED


def test_approval_needs_the_call_back_confirmed_and_a_note(agency, supervisor):
    apply(agency)
    officer = Officer.objects.get()
    client = verified_client(supervisor)

    answer = client.post(reverse("officers:approve", args=[officer.pk]), {"note": ""})

    assert answer.status_code == 400
    assert set(answer.context["approve_form"].errors) == {"called_back", "note"}
    assert Officer.objects.get().status == Officer.Status.APPLIED


def test_an_agency_without_a_directory_number_cannot_be_called_back(agency, supervisor):
    apply(agency)
    Agency.objects.filter(pk=agency.pk).update(directory_phone="")
    officer = Officer.objects.select_related("agency").get()

    with pytest.raises(ValidationError):
        officer_approve(officer=officer, actor=supervisor, note="Called")
    assert Officer.objects.get().status == Officer.Status.APPLIED


def test_full_onboarding_from_application_to_two_factor_enrolment(agency, supervisor):
    # GIVEN an application
    apply(agency)
    officer = Officer.objects.get()
    mail.outbox.clear()

    # WHEN staff record the call-back and approve
    staff = verified_client(supervisor)
    approved = staff.post(
        reverse("officers:approve", args=[officer.pk]),
        {"called_back": "on", "note": "Called +1 202 555 0100, Sgt. Example confirmed."},
    )

    # THEN the officer is verified, active, an officer, and has an enrolment link by e-mail
    assert approved.status_code == 302
    officer.refresh_from_db()
    assert officer.status == Officer.Status.VERIFIED
    assert officer.verified_by == supervisor
    assert "Sgt. Example" in officer.verification_note
    assert officer.user.is_active
    assert has_role(officer.user, Role.OFFICER)
    event = AccessEvent.objects.get(action="officer_verified")
    assert event.details["called"] == "+12025550100"
    link = link_in(mail.outbox[0])

    # WHEN the officer opens the link and sets a password
    browser = Client()
    form = browser.get(path_of(link))
    assert form.status_code == 200
    done = browser.post(
        path_of(link), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    # THEN they are signed in with the password and taken to 2FA enrolment
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:enrol")
    assert browser.get(reverse("accounts:enrol")).status_code == 200
    assert browser.get(reverse("officer:requests")).status_code == 302  # 2FA still needed
    officer.user.refresh_from_db()
    assert officer.user.check_password(NEW_PASSWORD)

    # AND the link is spent
    again = Client().get(path_of(link))
    assert again.status_code == 400


def test_a_rejected_application_stays_closed(agency, supervisor):
    apply(agency)
    officer = Officer.objects.get()
    client = verified_client(supervisor)

    client.post(reverse("officers:reject", args=[officer.pk]), {"note": "Agency denies"})

    officer.refresh_from_db()
    assert officer.status == Officer.Status.REJECTED
    assert officer.user.is_active is False
    assert AccessEvent.objects.filter(action="officer_rejected").exists()


def test_an_enrolment_link_expires(agency, monkeypatch, settings):
    officer = OfficerFactory(agency=agency)
    link = enrolment_link(officer.user)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert enrolment_token_user(token) == officer.user

    later = time.time() + (settings.LIAISON_ENROLMENT_LINK_HOURS + 1) * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)

    assert enrolment_token_user(token) is None


def test_a_tampered_enrolment_link_is_refused(agency):
    officer = OfficerFactory(agency=agency)
    token = enrolment_link(officer.user).rstrip("/").rsplit("/", 1)[1]

    assert enrolment_token_user(token[:-2] + "xx") is None
    assert Client().get(reverse("officer:enrol", args=["garbage"])).status_code == 400


# --- suspension ------------------------------------------------------------------------------


def _sessions_of(user: User) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def test_suspending_an_officer_ends_their_sessions_and_closes_the_portal(officer_a, supervisor):
    officer_client = verified_client(officer_a.user)
    assert officer_client.get(reverse("officer:requests")).status_code == 200
    staff = verified_client(supervisor)

    staff.post(reverse("officers:suspend", args=[officer_a.pk]), {"note": "Under inquiry"})

    assert Officer.objects.get(pk=officer_a.pk).status == Officer.Status.SUSPENDED
    answer = officer_client.get(reverse("officer:requests"))
    assert answer.status_code == 302  # the session ended
    assert answer["Location"].startswith(reverse("accounts:login"))
    officer_a.user.refresh_from_db()
    again = verified_client(officer_a.user).get(reverse("officer:requests"))
    assert again.status_code == 403  # signing in again shows why, and opens nothing

    staff.post(reverse("officers:reinstate", args=[officer_a.pk]), {"note": "Cleared"})
    assert verified_client(officer_a.user).get(reverse("officer:requests")).status_code == 200


def test_suspending_an_agency_ends_its_officers_sessions(officer_a, officer_b, supervisor):
    a_client = verified_client(officer_a.user)
    b_client = verified_client(officer_b.user)
    staff = verified_client(supervisor)

    answer = staff.post(
        reverse("officers:agency_suspend", args=[officer_a.agency_id]), {"note": "Forgery"}
    )

    assert answer.status_code == 302
    assert a_client.get(reverse("officer:requests")).status_code == 302
    assert b_client.get(reverse("officer:requests")).status_code == 200
    assert AccessEvent.objects.filter(action="agency_suspended").exists()

    staff.post(reverse("officers:agency_reinstate", args=[officer_a.agency_id]), {"note": "OK"})
    assert Agency.objects.get(pk=officer_a.agency_id).status == Agency.Status.ACTIVE


def test_a_suspension_needs_a_reason(officer_a, supervisor):
    answer = verified_client(supervisor).post(
        reverse("officers:suspend", args=[officer_a.pk]), {"note": ""}
    )

    assert answer.status_code == 400
    assert Officer.objects.get(pk=officer_a.pk).status == Officer.Status.VERIFIED


# --- risk signals ----------------------------------------------------------------------------


def codes(signals) -> set[str]:
    return {s.code for s in signals}


def test_a_long_standing_officer_with_history_raises_no_signal(officer_a):
    Officer.objects.filter(pk=officer_a.pk).update(verified_at=timezone.now() - timedelta(days=400))
    officer_a.refresh_from_db()

    signals = officer_risk_signals(
        officer_a, agency_prior_requests=12, officer_prior_requests=3, emergency=True
    )

    assert signals == []


def test_risk_signals_for_a_new_officer_a_first_request_and_an_unseen_emergency(officer_a):
    Officer.objects.filter(pk=officer_a.pk).update(verified_at=timezone.now())
    officer_a.refresh_from_db()

    signals = officer_risk_signals(
        officer_a, agency_prior_requests=0, officer_prior_requests=0, emergency=True
    )

    assert codes(signals) == {"new_officer", "first_agency_request", "emergency_new_sender"}
    assert all(s.label for s in signals)


def test_a_domain_mismatch_is_a_signal(officer_a):
    Officer.objects.filter(pk=officer_a.pk).update(verified_at=timezone.now() - timedelta(days=400))
    User.objects.filter(pk=officer_a.user_id).update(email="someone@mail.example.com")
    officer = Officer.objects.select_related("user", "agency").get(pk=officer_a.pk)

    assert codes(officer_risk_signals(officer)) == {"domain_mismatch"}


def test_uncounted_requests_give_no_signal(officer_a):
    Officer.objects.filter(pk=officer_a.pk).update(verified_at=timezone.now() - timedelta(days=400))
    officer_a.refresh_from_db()

    assert officer_risk_signals(officer_a, emergency=True) == []


# --- commands --------------------------------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_agency_and_create_officer_are_audited_and_the_link_works(db):
    run(
        "create_agency",
        "Shelbyville Sheriff",
        "--country",
        "us",
        "--domain",
        "Shelbyville-SO.example.gov",
        "--domain",
        "@so.example.gov",
        "--subdivision",
        "US-IL",
        "--kind",
        "local",
        "--phone",
        "+1 202 555 0111",
    )
    agency = Agency.objects.get(name="Shelbyville Sheriff")
    assert agency.country == "US"
    assert agency.email_domains == ["shelbyville-so.example.gov", "so.example.gov"]
    assert agency.directory_phone == "+12025550111"

    out, _ = run(
        "create_officer",
        "D.Park@shelbyville-so.example.gov",
        "--agency",
        "Shelbyville Sheriff",
        "--name",
        "Dana Park",
        "--badge",
        "77",
    )

    officer = Officer.objects.get(agency=agency)
    assert officer.status == Officer.Status.VERIFIED
    assert officer.user.email == "d.park@shelbyville-so.example.gov"
    assert (officer.user.first_name, officer.user.last_name) == ("Dana", "Park")
    assert has_role(officer.user, Role.OFFICER)
    labels = set(
        AccessEvent.objects.filter(action__in=["agency_created", "officer_verified"]).values_list(
            "actor_label", flat=True
        )
    )
    assert labels == {"manage.py create_agency", "manage.py create_officer"}
    link = out.strip()
    answer = Client().get(path_of(link))
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ["Agency X", "--country", "USA", "--domain", "x.example.gov"],
        ["Agency X", "--country", "US", "--domain", "not a domain"],
        ["Agency X", "--country", "US", "--domain", "x.example.gov", "--phone", "12"],
        ["Agency X", "--country", "US", "--domain", "x.example.gov", "--subdivision", "FR-75"],
    ],
)
def test_create_agency_refuses_bad_input(db, args):
    with pytest.raises(CommandError):
        run("create_agency", *args)
    assert not Agency.objects.filter(name="Agency X").exists()


def test_create_officer_refuses_an_address_off_the_agency_domains(agency):
    with pytest.raises(CommandError, match=r"springfield-pd\.example\.gov"):
        run("create_officer", "x@elsewhere.example.com", "--agency", agency.name)
    with pytest.raises(CommandError):
        run("create_officer", "x@springfield-pd.example.gov", "--agency", "No Such Agency")
    assert not Officer.objects.exists()


def test_agency_create_service_normalises_domains(db):
    agency = agency_create(
        name="Ogdenville PD", country="US", domains=["OGDEN.example.gov."], actor_label="t"
    )

    assert agency.email_domains == ["ogden.example.gov"]


def test_an_applicant_has_no_signals_and_a_suspended_officer_is_flagged(agency, officer_a):
    apply(agency)
    applicant = Officer.objects.get(agency=agency)
    Officer.objects.filter(pk=officer_a.pk).update(
        status=Officer.Status.SUSPENDED, verified_at=timezone.now() - timedelta(days=400)
    )
    officer_a.refresh_from_db()

    assert officer_risk_signals(applicant) == []
    signals = officer_risk_signals(officer_a)
    assert codes(signals) == {"standing"}
    assert signals[0].severity == "danger"
