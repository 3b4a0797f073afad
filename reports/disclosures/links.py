"""Officers' download links: signed, bound to one disclosure and one agency, expiring.

The link carries a token signed with the site's key (``django.core.signing``) naming the
disclosure and the agency; the download view also requires the signed-in officer (web
session or API token) to pass the case gate, so a forwarded link is useless to anyone
else. Links stop working ``LIAISON_DISCLOSURE_DOWNLOAD_DAYS`` after release; the expiry
is computed from the immutable release time, so it cannot be stretched, except by a
renewal staff record for the case's agency (``DownloadRenewal``, audited), the latest of
which then counts.
"""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.db.models import Max
from django.utils import timezone

from reports.disclosures.models import Disclosure, DownloadRenewal
from reports.disclosures.policy import download_expires_at

SALT = "reports.disclosures.download"


def download_token(disclosure: Disclosure, agency_id: int) -> str:
    return signing.dumps({"d": disclosure.pk, "a": agency_id}, salt=SALT, compress=True)


def download_expires(disclosure: Disclosure) -> datetime | None:
    """Until when the link works: release + the setting, or the latest renewal granted to
    the agency the case belongs to now (a renewal for another agency counts for nothing)."""
    if disclosure.released_at is None:
        return None
    expires = download_expires_at(disclosure.released_at)
    if disclosure.case.agency_id is None:
        return expires
    renewed = DownloadRenewal.objects.filter(
        disclosure=disclosure, agency_id=disclosure.case.agency_id
    ).aggregate(until=Max("expires_at"))["until"]
    return max(expires, renewed) if renewed else expires


def download_expired(disclosure: Disclosure, now: datetime | None = None) -> bool:
    expires = download_expires(disclosure)
    if expires is None:
        return True
    return (now or timezone.now()) >= expires


def download_allowed(
    token: str, disclosure: Disclosure, agency_id: int | None, now: datetime | None = None
) -> bool:
    """Is ``token`` this disclosure's link for this agency, within its window? (One
    condition a line: each is a reason the same 404 is given.)"""
    if agency_id is None:
        return False
    try:
        claims = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return False
    if claims.get("d") != disclosure.pk:
        return False
    if claims.get("a") != agency_id:
        return False
    if disclosure.case.agency_id != agency_id:
        return False
    return not download_expired(disclosure, now)
