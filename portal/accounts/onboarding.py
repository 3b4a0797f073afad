"""Agencies and officers: application, call-back verification, suspension.

Forged police requests are a known attack, so an officer is trusted only after two checks
by staff: the e-mail domain belongs to the agency, and the agency, called back on a number
from an independent directory (``Agency.directory_phone``, never the applicant's), confirms
the person. ``officer_access_refusal`` is the one rule deciding whether an officer may act
now; the API token check and the officer portal both ask it on every request. The
one-time links that let a verified officer set a password are ``portal.accounts.enrolment``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import DomainNameValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.gates import capability_require
from portal.accounts.models import Agency, Officer, User, _new_security_stamp
from portal.accounts.roles import Capability, Role, has_role
from portal.audit.services import Outcome, access_event_record

logger = logging.getLogger(__name__)


# --- The standing rule ----------------------------------------------------------------------

REFUSAL_LABELS = {
    "inactive": gettext_lazy("account inactive"),
    "not_officer": gettext_lazy("not an officer"),
    "officer_applied": gettext_lazy("officer not yet verified"),
    "officer_rejected": gettext_lazy("officer application rejected"),
    "officer_suspended": gettext_lazy("officer suspended"),
    "agency_suspended": gettext_lazy("agency suspended"),
}


def officer_access_refusal(user: User) -> str | None:
    """Why this user may not act as an officer right now (a ``REFUSAL_LABELS`` key), or None.

    Read from the user object as loaded; callers load it fresh for each request.
    """
    if not user.is_active:
        return "inactive"
    # A sign-in lockout is not a standing: it locks the web sign-in for a while, and leaves
    # the officer's API tokens (another credential, with its own rate limit) working.
    officer = getattr(user, "officer", None) if hasattr(user, "officer") else None
    if officer is None:
        return "not_officer"
    # The officer row outlives the role: an account moved to staff work (officer role taken
    # away in the admin) keeps its row, and must not keep acting as an officer through a
    # token the officer pages would no longer let it manage (issue 18, found by fuzzing).
    if not has_role(user, Role.OFFICER):
        return "not_officer"
    if officer.status != Officer.Status.VERIFIED:
        return f"officer_{officer.status}"
    if officer.agency.status != Agency.Status.ACTIVE:
        return "agency_suspended"
    return None


# --- Normalising what people type -----------------------------------------------------------


def domain_normalise(value: str) -> str:
    """``@Sub.Example.GOV.`` -> ``sub.example.gov``; raise ValidationError if not a domain."""
    domain = value.strip().lstrip("@").rstrip(".").lower()
    DomainNameValidator(message=_("%(value)s is not a domain name.") % {"value": value})(domain)
    return domain


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().rstrip(".").lower()


def email_domain_matches(email: str, domains: list[str]) -> bool:
    """The address is on one of the domains, or on a subdomain of one (``x.pd.example.gov``)."""
    host = email_domain(email)
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


def phone_normalise(value: str, *, country: str = "") -> str:
    """E.164 form of a phone number; a number without ``+`` is read in ``country``."""
    try:
        number = phonenumbers.parse(value, (country or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a phone number, e.g. +1 202 555 0100.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- Agencies -------------------------------------------------------------------------------


def agency_create(
    *,
    name: str,
    country: str,
    domains: list[str],
    subdivision: str = "",
    kind: str = Agency.Kind.LOCAL,
    directory_phone: str = "",
    actor: User | None = None,
    actor_label: str = "",
) -> Agency:
    """Register an agency with its verified e-mail domains and its directory phone number."""
    capability_require(
        actor, Capability.MANAGE_OFFICERS, action="agency_created", actor_label=actor_label
    )
    country = country.strip().upper()
    agency = Agency(
        name=name.strip(),
        country=country,
        subdivision=subdivision.strip().upper(),
        kind=kind,
        email_domains=sorted({domain_normalise(d) for d in domains}),
        directory_phone=phone_normalise(directory_phone, country=country)
        if directory_phone
        else "",
    )
    if len(country) != 2 or not country.isalpha():
        raise ValidationError({"country": _("Use a two-letter ISO 3166-1 code, e.g. US.")})
    if agency.subdivision and not agency.subdivision.startswith(country + "-"):
        raise ValidationError(
            {"subdivision": _("Use an ISO 3166-2 code of %(c)s, e.g. %(c)s-CA.") % {"c": country}}
        )
    if not agency.email_domains:
        raise ValidationError({"email_domains": _("An agency needs at least one domain.")})
    with transaction.atomic():
        agency.full_clean()
        agency.save()
        access_event_record(
            action="agency_created",
            actor=actor,
            actor_label=actor_label,
            obj=agency,
            details={"name": agency.name, "domains": agency.email_domains},
        )
    return agency


def _end_sessions(users: Iterable[User]) -> None:
    """A new security stamp ends every session of each user (see ``User``)."""
    for user in users:
        User.objects.filter(pk=user.pk).update(security_stamp=_new_security_stamp())


def agency_suspend(*, agency: Agency, actor: User, reason: str) -> bool:
    """Suspend an agency: its officers' tokens stop at once and their sessions end."""
    capability_require(actor, Capability.MANAGE_OFFICERS, action="agency_suspended", obj=agency)
    with transaction.atomic():
        changed = Agency.objects.filter(pk=agency.pk, status=Agency.Status.ACTIVE).update(
            status=Agency.Status.SUSPENDED
        )
        if changed:
            agency.status = Agency.Status.SUSPENDED
            _end_sessions(User.objects.filter(officer__agency=agency))
            access_event_record(
                action="agency_suspended",
                actor=actor,
                obj=agency,
                details={"reason": reason},
            )
    return changed == 1


def agency_reinstate(*, agency: Agency, actor: User, reason: str) -> bool:
    capability_require(actor, Capability.MANAGE_OFFICERS, action="agency_reinstated", obj=agency)
    with transaction.atomic():
        changed = Agency.objects.filter(pk=agency.pk, status=Agency.Status.SUSPENDED).update(
            status=Agency.Status.ACTIVE
        )
        if changed:
            agency.status = Agency.Status.ACTIVE
            access_event_record(
                action="agency_reinstated",
                actor=actor,
                obj=agency,
                details={"reason": reason},
            )
    return changed == 1


# --- Officers -------------------------------------------------------------------------------


def officer_email_send(*, to: str, template: str, context: dict, language: str = "") -> None:
    """Send a plain-text e-mail after the change is committed; a mail outage must not undo it
    (staff can send a new enrolment link). Written in ``language`` (the officer's), else in
    the language of the page being served (the applicant's browser)."""
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"officers/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"officers/email/{template}.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:  # pragma: no cover - depends on the mail server
        logger.exception("could not send %s e-mail", template)


def _page_language() -> str:
    language = translation.get_language() or ""
    return language if language in dict(settings.LANGUAGES) else ""


def officer_apply(
    *,
    first_name: str,
    last_name: str,
    agency: Agency,
    badge_number: str,
    email: str,
    phone: str,
) -> Officer | None:
    """Record an application: an inactive user without a role, and an officer ``applied``.

    The domain must match the agency's (the form says so field by field before this runs).
    An address that already has an account gets an e-mail saying so instead, and the page
    answers the same either way, so the form does not reveal who has an account.
    """
    email = email.strip().lower()
    if agency.status != Agency.Status.ACTIVE:
        raise ValidationError({"agency": _("This agency is not accepting applications.")})
    if not email_domain_matches(email, agency.email_domains):
        raise ValidationError({"email": _("This address is not on a domain of the agency.")})
    phone = phone_normalise(phone, country=agency.country)
    context = {"first_name": first_name, "agency": agency.name}
    if (
        User.objects.filter(email__iexact=email).exists()
        or User.objects.filter(username=email).exists()
    ):
        access_event_record(
            action="officer_applied",
            actor_label=email,
            outcome=Outcome.DENIED,
            details={"reason": "email_taken", "agency": agency.name},
        )
        officer_email_send(to=email, template="application_duplicate", context=context)
        return None
    with transaction.atomic():
        user = User(
            username=email,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            is_active=False,
            language=_page_language(),  # later e-mails speak the language they applied in
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        officer = Officer(
            user=user,
            agency=agency,
            badge_number=badge_number.strip(),
            phone=phone,
            status=Officer.Status.APPLIED,
        )
        officer.full_clean()
        officer.save()
        access_event_record(
            action="officer_applied",
            actor_label=email,
            obj=officer,
            details={"agency": agency.name},
        )
    officer_email_send(to=email, template="application_received", context=context)
    return officer


def _make_officer_user_active(user: User) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])
    user.groups.add(Group.objects.get(name=Role.OFFICER))


def officer_approve(*, officer: Officer, actor: User, note: str) -> bool:
    """Staff confirmed the officer by calling the agency's directory number: activate the
    account, give it the officer role, and e-mail a one-time enrolment link."""
    capability_require(actor, Capability.MANAGE_OFFICERS, action="officer_verified", obj=officer)
    if not officer.agency.directory_phone:
        raise ValidationError(
            _("The agency has no directory phone number to call back. Add one first.")
        )
    if not note.strip():
        raise ValidationError({"note": _("Record whom you called and what they confirmed.")})
    with transaction.atomic():
        now = timezone.now()
        changed = Officer.objects.filter(pk=officer.pk, status=Officer.Status.APPLIED).update(
            status=Officer.Status.VERIFIED,
            verified_at=now,
            verified_by=actor,
            verification_note=note.strip(),
        )
        if not changed:
            return False
        officer.refresh_from_db()
        _make_officer_user_active(officer.user)
        access_event_record(
            action="officer_verified",
            actor=actor,
            obj=officer,
            details={"called": officer.agency.directory_phone, "note": note.strip()[:500]},
        )
    from portal.accounts.enrolment import officer_enrolment_link_send  # it needs this module

    officer_enrolment_link_send(officer=officer, actor=actor, audit=False)
    return True


def officer_reject(*, officer: Officer, actor: User, note: str) -> bool:
    capability_require(actor, Capability.MANAGE_OFFICERS, action="officer_rejected", obj=officer)
    if not note.strip():
        raise ValidationError({"note": _("Say why the application is rejected.")})
    with transaction.atomic():
        changed = Officer.objects.filter(pk=officer.pk, status=Officer.Status.APPLIED).update(
            status=Officer.Status.REJECTED, verification_note=note.strip()
        )
        if changed:
            officer.refresh_from_db()
            access_event_record(
                action="officer_rejected",
                actor=actor,
                obj=officer,
                details={"note": note.strip()[:500]},
            )
    return changed == 1


def officer_suspend(*, officer: Officer, actor: User, reason: str) -> bool:
    """Suspend a verified officer: tokens stop at the next request, sessions end now.

    Tokens are not revoked, so a reinstatement restores them; revoke them as well when the
    officer's credentials may be in other hands.
    """
    capability_require(actor, Capability.MANAGE_OFFICERS, action="officer_suspended", obj=officer)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    with transaction.atomic():
        changed = Officer.objects.filter(pk=officer.pk, status=Officer.Status.VERIFIED).update(
            status=Officer.Status.SUSPENDED
        )
        if changed:
            officer.status = Officer.Status.SUSPENDED
            _end_sessions([officer.user])
            access_event_record(
                action="officer_suspended",
                actor=actor,
                obj=officer,
                details={"reason": reason.strip()[:500]},
            )
    return changed == 1


def officer_reinstate(*, officer: Officer, actor: User, reason: str) -> bool:
    capability_require(actor, Capability.MANAGE_OFFICERS, action="officer_reinstated", obj=officer)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    with transaction.atomic():
        changed = Officer.objects.filter(pk=officer.pk, status=Officer.Status.SUSPENDED).update(
            status=Officer.Status.VERIFIED
        )
        if changed:
            officer.status = Officer.Status.VERIFIED
            access_event_record(
                action="officer_reinstated",
                actor=actor,
                obj=officer,
                details={"reason": reason.strip()[:500]},
            )
    return changed == 1


def officer_create_verified(
    *,
    email: str,
    agency: Agency,
    first_name: str = "",
    last_name: str = "",
    badge_number: str = "",
    actor_label: str,
) -> Officer:
    """Bulk onboarding by an operator who has verified the officer out of band."""
    capability_require(
        None, Capability.MANAGE_OFFICERS, action="officer_created", actor_label=actor_label
    )
    email = email.strip().lower()
    if not email_domain_matches(email, agency.email_domains):
        raise ValidationError(
            {
                "email": _("%(email)s is not on a domain of %(agency)s (%(domains)s).")
                % {"email": email, "agency": agency, "domains": ", ".join(agency.email_domains)}
            }
        )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this address exists.")})
    with transaction.atomic():
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.full_clean()
        user.save()
        user.groups.add(Group.objects.get(name=Role.OFFICER))
        officer = Officer(
            user=user,
            agency=agency,
            badge_number=badge_number,
            status=Officer.Status.VERIFIED,
            verified_at=timezone.now(),
            verification_note=_("Verified out of band by the operator (%(how)s).")
            % {"how": actor_label},
        )
        officer.full_clean()
        officer.save()
        access_event_record(
            action="officer_verified",
            actor_label=actor_label,
            obj=officer,
            details={"agency": agency.name, "user": email},
        )
    return officer
