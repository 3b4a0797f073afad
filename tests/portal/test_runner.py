"""``make run`` with another port (issue 9, item 15): the printed hints and the links in
e-mails use the port it serves on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal.runner import banner

ROOT = Path(__file__).resolve().parents[2]


def test_the_banner_names_the_real_port():
    text = banner("127.0.0.1", "8123")

    assert "http://127.0.0.1:8123/" in text
    assert "http://localhost:8123/" in text  # the passkey hint too
    assert "8000" not in text


def test_links_and_passkey_origins_follow_liaison_port():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LIAISON_BASE_URL", "LIAISON_WEBAUTHN_ORIGINS", "LIAISON_HOST"}
    }
    env.update(LIAISON_PORT="8123", DJANGO_SETTINGS_MODULE="portal.settings")
    code = (
        "from django.conf import settings as s; "
        "print(s.LIAISON_BASE_URL); print(s.OTP_WEBAUTHN_ALLOWED_ORIGINS[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()

    assert out == ["http://127.0.0.1:8123", "http://localhost:8123"]
