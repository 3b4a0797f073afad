"""What every part of the settings reads first: where the project and its data live, the
environment reader, and whether this is production."""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

LIAISON_ENV = env.str("LIAISON_ENV", default="development")
if LIAISON_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("LIAISON_ENV must be 'development' or 'production'.")
PRODUCTION = LIAISON_ENV == "production"
VAR_DIR = Path(env.str("LIAISON_VAR_DIR", default=str(BASE_DIR / "var")))
