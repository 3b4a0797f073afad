"""An independent RFC 6238 (TOTP) implementation for tests.

Tests compute sign-in codes here, from the device secret alone, instead of asking
django-otp: a code that this module derives and the portal accepts shows that the portal
speaks the standard any authenticator app speaks (RFC 4226 HOTP, RFC 6238 TOTP), not
merely that django-otp agrees with itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from django_otp.plugins.otp_totp.models import TOTPDevice

STEP_SECONDS = 30
DIGITS = 6


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 section 5.3: HMAC the big-endian counter, dynamic truncation, modulo."""
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % (10**digits)).zfill(digits)


def time_step(at: float | None = None, *, step: int = STEP_SECONDS, t0: int = 0) -> int:
    """RFC 6238 section 4.2: T = floor((unix time - T0) / X)."""
    now = time.time() if at is None else at
    return int((now - t0) // step)


def totp(
    key: bytes,
    *,
    at: float | None = None,
    step: int = STEP_SECONDS,
    digits: int = DIGITS,
    digest: str = "sha1",
) -> str:
    """The code an authenticator app shows at ``at`` (now by default)."""
    return hotp(key, time_step(at, step=step), digits=digits, digest=digest)


def key_from_base32(secret: str) -> bytes:
    """Decode a secret as shown to people (groups of four, any case, padding dropped)."""
    cleaned = "".join(secret.split()).upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def device_key(device: TOTPDevice) -> bytes:
    """The raw shared secret of a django-otp TOTP device (stored as hex)."""
    return bytes.fromhex(device.key)


def fresh_totp(device: TOTPDevice) -> str:
    """A code for ``device`` that the server has not seen yet.

    The portal accepts each time step once (replay refused), so when the current step was
    already used by this device, wait for the next one, at most one step (30 s).
    """
    device.refresh_from_db(fields=["last_t"])
    while time_step() <= device.last_t:
        time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.05)
    return totp(device_key(device))
