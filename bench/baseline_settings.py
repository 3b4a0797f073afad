"""Settings of ``bench/api.py``'s gunicorn: the portal's, with the baseline URL mounted."""

from portal.settings import *  # noqa: F403 - the portal's settings, unchanged

ROOT_URLCONF = "bench.baseline_urls"
