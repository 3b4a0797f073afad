"""Jurisdiction facts the rules and intake share: which states a kind of process may come
from, and how a jurisdiction is written (ISO 3166-1 country, ISO 3166-2 subdivision).

They sit next to the deadline rules (``cases/rules/``), which key on the same codes;
intake checks a process against them (``jurisdiction_errors``), and every adapter splits
a typed jurisdiction the same way (``jurisdiction_split``).
"""

from __future__ import annotations

import functools

import pycountry
from django.utils.translation import gettext as _

from cases.models import ProcessKind

K = ProcessKind

# The 27 Member States of the European Union (ISO 3166-1 alpha-2; Greece is "GR" here,
# "EL" in EU usage).
EU_MEMBER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# Bound by the e-evidence Regulation (EU) 2023/1543: all but Denmark, which does not take
# part in measures under Title V TFEU (Protocol No 22 on the position of Denmark). The
# DSA (Regulation (EU) 2022/2065) binds all 27, Denmark included.
EPOC_STATES = EU_MEMBER_STATES - {"DK"}
# Where each kind may come from; kinds not listed may come from anywhere (an emergency
# request under 2702(b)(8) may come from a foreign agency; an MLAT from any treaty partner).
KIND_COUNTRIES: dict[str, frozenset[str]] = {
    K.US_SUBPOENA: frozenset({"US"}),
    K.US_2703D_ORDER: frozenset({"US"}),
    K.US_SEARCH_WARRANT: frozenset({"US"}),
    K.US_PRESERVATION: frozenset({"US"}),
    K.US_PEN_TRAP: frozenset({"US"}),
    K.US_WIRETAP: frozenset({"US"}),
    K.US_BACKUP_PRESERVATION: frozenset({"US"}),
    K.EU_EPOC: EPOC_STATES,
    K.EU_EPOC_PR: EPOC_STATES,
    K.UK_OPO: frozenset({"GB"}),
    K.CA_PRESERVATION_ORDER: frozenset({"CA"}),
    K.CA_PRESERVATION_DEMAND: frozenset({"CA"}),
    K.CA_PRODUCTION_ORDER: frozenset({"CA"}),
    K.AU_IPO: frozenset({"AU"}),
    K.BR_COURT_ORDER: frozenset({"BR"}),
    K.BR_RETENTION_DEMAND: frozenset({"BR"}),
}


def jurisdiction_split(jurisdiction: str) -> tuple[str, str]:
    """``"US-CA"`` -> ``("US", "US-CA")``; ``"de"`` -> ``("DE", "")``: the country and, when
    given, the subdivision of one typed jurisdiction (the officer form and the API take
    one field; the staff form two)."""
    code = (jurisdiction or "").strip().upper()
    return code.partition("-")[0], code if "-" in code else ""


def jurisdiction_errors(kind: str, country: str, subdivision: str) -> dict[str, str]:
    """Field errors for a jurisdiction that is not ISO 3166 or cannot issue ``kind``."""
    errors: dict[str, str] = {}
    # ISO 3166 itself (pycountry's copy of the standard), not a look-alike pattern: a
    # typo such as "US-CX" must not become a jurisdiction that rules and reports key on.
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = _("Give the country as an ISO 3166-1 code, e.g. US, DE, GB.")
    elif kind in KIND_COUNTRIES and country not in KIND_COUNTRIES[kind]:
        errors["country"] = _("This kind of process cannot come from %(country)s.") % {
            "country": country
        }
    if subdivision and (
        subdivision[:3] != f"{country}-" or pycountry.subdivisions.get(code=subdivision) is None
    ):
        errors["subdivision"] = _(
            "Give the subdivision as an ISO 3166-2 code of the country, e.g. US-CA."
        )
    return errors


JURISDICTION_MAX = 100  # characters of a typed jurisdiction; more is refused, never cut


def jurisdiction_resolve(text: str) -> str:
    """The ISO code of a typed jurisdiction: a code ("us-il", "DE"), a name ("Illinois",
    "Germany") or a choice of the picker ("Illinois — United States (US-IL)"); "" when it
    names none, or more than one (a subdivision name two countries share), so the caller
    refuses it instead of guessing (issue #9, item 12: "Illinois" was cut to "Illino")."""
    value = " ".join((text or "").split())
    if not value or len(value) > JURISDICTION_MAX:
        return ""
    if value.endswith(")") and "(" in value:  # the picker's label ends with the code
        value = value[value.rindex("(") + 1 : -1].strip()
    code = value.upper()
    if "-" in code and pycountry.subdivisions.get(code=code) is not None:
        return code
    if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
        return code
    return _names().get(value.casefold(), "")


@functools.cache
def _names() -> dict[str, str]:
    """Every country's and subdivision's name, case-folded, to its code; a name that more
    than one subdivision carries maps to "" (ambiguous)."""
    names: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        key = sub.name.casefold()
        names[key] = "" if key in names and names[key] != sub.code else sub.code
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                names[name.casefold()] = country.alpha_2
    return names


@functools.cache
def jurisdiction_choices() -> tuple[tuple[str, str], ...]:
    """What the picker offers, (code, label): every country, and the subdivisions of the
    countries whose own process the rules know (KIND_COUNTRIES), so the page stays small;
    any other ISO 3166-2 code or name is still accepted when typed."""
    names = {c.alpha_2: c.name for c in pycountry.countries}
    choices = [(code, f"{name} ({code})") for code, name in names.items()]
    known = set().union(*KIND_COUNTRIES.values())
    for sub in pycountry.subdivisions:
        if sub.country_code in known:
            choices.append((sub.code, f"{sub.name} — {names[sub.country_code]} ({sub.code})"))
    return tuple(sorted(choices, key=lambda choice: choice[1]))
