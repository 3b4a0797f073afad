"""Target normalisation: when two typed identifiers are the same target."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import TargetKind as T
from cases.targets import target_guess_kind, target_normalise


@pytest.mark.parametrize(
    ("kind", "value", "region", "expected"),
    [
        (T.EMAIL, "  Jane.Doe@Example.COM ", "", "jane.doe@example.com"),
        (T.EMAIL, "user@bücher.example", "", "user@xn--bcher-kva.example"),
        (T.PHONE, "+1 (202) 555-0147", "", "+12025550147"),
        (T.PHONE, "202 555 0147", "US", "+12025550147"),
        (T.PHONE, "202.555.0147", "us", "+12025550147"),
        (T.USERNAME, "@Night_Owl_77", "", "night_owl_77"),
        (T.ACCOUNT_ID, " 100004417 ", "", "100004417"),
        (T.ACCOUNT_ID, "AbC-123", "", "AbC-123"),  # IDs may be case-sensitive
        (T.IP, "192.0.2.17", "", "192.0.2.17"),
        (T.IP, "192.0.2.17/32", "", "192.0.2.17"),
        (T.IP, "198.51.100.77/24", "", "198.51.100.0/24"),
        (T.IP, "2001:DB8:0:0::1", "", "2001:db8::1"),
        (T.URL, "HTTPS://Example.COM:443/Profile?id=7#top", "", "https://example.com/Profile?id=7"),
        (T.URL, "example.com/u/jane", "", "https://example.com/u/jane"),
        (T.URL, "http://example.com:8080", "", "http://example.com:8080/"),
    ],
)
def test_normal_forms(kind, value, region, expected):
    assert target_normalise(kind, value, default_region=region) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (T.EMAIL, "not-an-address"),
        (T.EMAIL, "a@"),
        (T.PHONE, "12345"),
        (T.PHONE, "call me maybe"),
        (T.USERNAME, "two words"),
        (T.ACCOUNT_ID, "id with space"),
        (T.IP, "192.0.2.300"),
        (T.URL, "ftp://example.com/file"),
        (T.URL, "https://"),
        (T.EMAIL, "   "),
        (T.EMAIL, "a" * 600 + "@example.com"),
        ("fingerprint", "abc"),
    ],
)
def test_invalid_identifiers_are_refused_with_a_message(kind, value):
    with pytest.raises(ValidationError) as caught:
        target_normalise(kind, value)
    assert caught.value.messages[0]


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("jane@example.com", T.EMAIL),
        ("+1 202 555 0147", T.PHONE),
        ("192.0.2.5", T.IP),
        ("https://example.com/x", T.URL),
        ("night_owl", None),
    ],
)
def test_search_guesses_the_kind(query, kind):
    assert target_guess_kind(query) == kind
