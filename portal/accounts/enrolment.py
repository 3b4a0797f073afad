"""One-time enrolment links: how a verified officer sets a first password and enrols 2FA.

A link is signed, expires after ``LIAISON_ENROLMENT_LINK_HOURS``, is spent when the
password is set or the officer signs in, opens only for an officer in good standing, and
is bound to the first browser that opens it (security review, finding 7).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import salted_hmac

from portal.accounts.gates import capability_require
from portal.accounts.models import Officer, User, _new_security_stamp
from portal.accounts.onboarding import officer_access_refusal, officer_email_send
from portal.accounts.roles import Capability
from portal.audit.services import access_event_record

_ENROLMENT_SALT = "portal.accounts.onboarding.enrolment"


def _account_state(user: User) -> str:
    """Changes when the password is set or the user signs in, which spends the link."""
    return salted_hmac(
        _ENROLMENT_SALT,
        f"{user.pk}:{user.password}:{user.security_stamp}:{user.last_login}",
        algorithm="sha256",
    ).hexdigest()[:32]


def enrolment_token_make(user: User) -> str:
    return signing.dumps({"u": user.pk, "s": _account_state(user)}, salt=_ENROLMENT_SALT)


def enrolment_token_user(token: str) -> User | None:
    """The officer a link was made for, if it is authentic, unexpired and unspent."""
    max_age = timedelta(hours=settings.LIAISON_ENROLMENT_LINK_HOURS)
    try:
        data = signing.loads(token, salt=_ENROLMENT_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    user = User.objects.select_related("officer__agency").filter(pk=data.get("u")).first()
    if user is None or data.get("s") != _account_state(user):
        return None
    if officer_access_refusal(user) is not None:
        return None
    return user


def enrolment_link_claim(token: str, request: HttpRequest) -> bool:
    """Bind a link to the first browser that opens it; False for any other browser.

    The token travels in the URL path, which proxies and browsers keep in their logs
    (security review, finding 7). Whoever reads it there afterwards finds it bound to the
    officer's browser session, so a copied link opens nothing. The binding lives in the
    shared cache for the link's lifetime.
    """
    from django.core.cache import cache

    session = request.session
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    claim = session.get("liaison_enrolment_claim") or secrets.token_hex(16)
    if session.get("liaison_enrolment_claim") != claim:
        session["liaison_enrolment_claim"] = claim
    timeout = settings.LIAISON_ENROLMENT_LINK_HOURS * 3600
    key = f"liaison:enrolment-link:{digest}"
    cache.add(key, claim, timeout=timeout)
    return bool(cache.get(key) == claim)


def enrolment_link(user: User) -> str:
    path = reverse("officer:enrol", args=[enrolment_token_make(user)])
    return settings.LIAISON_BASE_URL.rstrip("/") + path


def officer_enrolment_link_send(
    *,
    officer: Officer,
    actor: User | None = None,
    audit: bool = True,
) -> str:
    """E-mail the officer a fresh one-time link to set a password and enrol 2FA (only to
    the officer's own address; staff who send it need to manage officers)."""
    capability_require(
        actor,
        Capability.MANAGE_OFFICERS,
        action="enrolment_link_sent",
        obj=officer,
        allow=actor is None,
    )
    link = enrolment_link(officer.user)
    if audit:
        access_event_record(action="enrolment_link_sent", actor=actor, obj=officer)
    officer_email_send(
        to=officer.user.email,
        language=officer.user.language,
        template="enrolment_link",
        context={
            "first_name": officer.user.first_name,
            "agency": officer.agency.name,
            "link": link,
            "hours": settings.LIAISON_ENROLMENT_LINK_HOURS,
        },
    )
    return link


def officer_password_set_from_link(*, user: User, password: str) -> None:
    """Set the first password through an enrolment link; the link is spent by this."""
    with transaction.atomic():
        user.set_password(password)
        user.security_stamp = _new_security_stamp()
        user.save(update_fields=["password", "security_stamp"])
        access_event_record(action="password_set", actor=user, obj=user)
