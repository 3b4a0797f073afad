"""factory_boy factories and the personas every test module shares."""

from __future__ import annotations

import time

import factory
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.middleware import AUTH_AT_KEY
from portal.accounts.models import Agency, Officer, Team, User
from portal.accounts.roles import Role
from portal.accounts.views import REAUTH_AT_KEY

PASSWORD = "correct horse battery staple 42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@provider.example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=[str(r) for r in extracted]))
        if create:
            self.save()


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Example County Police {n}")
    country = "US"
    subdivision = "US-CA"
    kind = Agency.Kind.LOCAL
    email_domains = factory.Sequence(lambda n: [f"pd{n}.example.gov"])
    directory_phone = "+12025550100"


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer

    agency = factory.SubFactory(AgencyFactory)
    user = factory.SubFactory(
        UserFactory,
        roles=[Role.OFFICER],
        email=factory.LazyAttributeSequence(
            lambda u, n: f"officer{n}@{u.factory_parent.agency.email_domains[0]}"
        ),
    )
    badge_number = factory.Sequence(lambda n: f"B-{1000 + n}")
    phone = "+12025550123"
    status = Officer.Status.VERIFIED


def default_team() -> Team:
    return Team.objects.get(is_default=True)


def totp_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test app", confirmed=True)


def verified_client(user: User) -> Client:
    """A client signed in with both factors, as after a real two-step sign-in."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session[AUTH_AT_KEY] = time.time()
    session[REAUTH_AT_KEY] = time.time()  # the password step of a real sign-in sets it
    session.save()
    return client
