"""Where evidence is stored: the local folder by default, a private S3 bucket when asked.

Settings are loaded in a fresh interpreter, as a production process would load them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
default_storage = storages["default"]
print(json.dumps({
    "class": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "bucket": getattr(default_storage, "bucket_name", None),
    "endpoint": getattr(default_storage, "endpoint_url", None),
    "overwrite": getattr(default_storage, "file_overwrite", None),
    "acl": getattr(default_storage, "default_acl", "unset"),
    "signed": getattr(default_storage, "querystring_auth", None),
    "media_root": str(settings.MEDIA_ROOT),
    "static_root": str(settings.STATIC_ROOT),
    "media_url": settings.MEDIA_URL,
}))
"""


def storage_config(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_S3_")}
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")  # not used
    env.update(extra, DJANGO_SETTINGS_MODULE="portal.settings")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_evidence_defaults_to_a_local_folder_outside_the_static_root():
    config = storage_config()
    assert config["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    media, static = Path(config["media_root"]), Path(config["static_root"])
    assert not media.is_relative_to(static) and not static.is_relative_to(media)
    assert config["media_url"] == "/"  # no media URL: files go out through audited views only


def test_s3_compatible_bucket_when_configured_private_and_never_overwritten():
    config = storage_config(
        LIAISON_S3_BUCKET="liaison-evidence",
        LIAISON_S3_ENDPOINT_URL="https://objects.example.com",
    )
    assert config["class"] == "storages.backends.s3.S3Storage"
    assert config["bucket"] == "liaison-evidence"
    assert config["endpoint"] == "https://objects.example.com"
    assert config["overwrite"] is False
    assert config["acl"] is None  # the bucket policy decides: private
    assert config["signed"] is True
