"""Target identifiers: parsing and normalising what officers type into what we compare.

``target_normalise`` is the one place that decides when two identifiers are "the same
target", which drives exact lookup and "also requested by". Normal forms:
e-mail lower-case with an IDNA domain; phone E.164 (``phonenumbers``); username lower-case
without a leading ``@``; account ID as given (IDs may be case-sensitive), trimmed; IP or
CIDR in ``ipaddress`` compressed form (single addresses without a prefix); URL with
lower-case scheme and host, no default port, no fragment, path and query kept as given.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from cases.models import TargetKind

MAX_LENGTH = 500
_email_validator = EmailValidator()


def target_normalise(kind: str, value: str, *, default_region: str = "") -> str:
    """The normal form of ``value`` as a ``kind`` identifier, or ``ValidationError``."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("The identifier is empty."), code="empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            _("The identifier is longer than %(max)s characters.") % {"max": MAX_LENGTH},
            code="too_long",
        )
    normaliser = _NORMALISERS.get(kind)
    if normaliser is None:
        raise ValidationError(_("Unknown identifier type."), code="kind")
    return normaliser(text, default_region)


def _email(text: str, _region: str) -> str:
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain:
        raise ValidationError(_("%(value)s is not an e-mail address.") % {"value": text})
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationError(_("%(value)s has an invalid domain.") % {"value": text}) from exc
    result = f"{local}@{domain}".lower()
    try:
        _email_validator(result)
    except ValidationError as exc:
        raise ValidationError(_("%(value)s is not an e-mail address.") % {"value": text}) from exc
    return result


def _phone(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _(
                "%(value)s is not a phone number; give it with its country code, "
                "e.g. +1 202 555 0123."
            )
            % {"value": text}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("%(value)s is not a valid phone number.") % {"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _username(text: str, _region: str) -> str:
    name = text.removeprefix("@").strip().lower()
    if not name or any(ch.isspace() for ch in name):
        raise ValidationError(_("%(value)s is not a username.") % {"value": text})
    return name


def _account_id(text: str, _region: str) -> str:
    if any(ch.isspace() for ch in text):
        raise ValidationError(_("An account ID cannot contain spaces."))
    return text


def _ip(text: str, _region: str) -> str:
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            if network.num_addresses == 1:
                return str(network.network_address)
            return network.compressed
        return ipaddress.ip_address(text).compressed
    except ValueError as exc:
        raise ValidationError(
            _("%(value)s is not an IP address or CIDR range.") % {"value": text}
        ) from exc


def _url(text: str, _region: str) -> str:
    candidate = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(_("%(value)s is not a URL.") % {"value": text}) from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in {"http", "https"} or not host:
        raise ValidationError(_("%(value)s is not an http(s) URL.") % {"value": text})
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValidationError(_("%(value)s has an invalid host name.") % {"value": text}) from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


_NORMALISERS: dict[str, Callable[[str, str], str]] = {
    TargetKind.EMAIL: _email,
    TargetKind.PHONE: _phone,
    TargetKind.USERNAME: _username,
    TargetKind.ACCOUNT_ID: _account_id,
    TargetKind.IP: _ip,
    TargetKind.URL: _url,
}


def target_guess_kind(value: str) -> str | None:
    """The kind a search query most likely is, so search can try an exact match first."""
    text = value.strip()
    if "@" in text and not text.startswith("@") and "." in text.rpartition("@")[2]:
        return TargetKind.EMAIL
    if text.startswith("+") and sum(ch.isdigit() for ch in text) >= 7:
        return TargetKind.PHONE
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    else:
        return TargetKind.IP
    if text.lower().startswith(("http://", "https://")):
        return TargetKind.URL
    return None
