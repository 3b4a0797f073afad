"""The larger blocks of ``portal.settings``, one module each (Celery, the REST API, the
CyberTipline, disclosures), and the environment they all read (``environment``).

``portal.settings`` imports every part where its block used to be, so it is still the one
module Django loads; each part reads the environment with the same ``env`` and is listed,
like the settings themselves, in ``docs/configuration.md``.
"""
