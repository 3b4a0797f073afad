"""The officer REST API for requests: ``/api/v1/requests/...`` (issue 6).

Thin DRF views (``views``), one per URL, each operation with its own nested input and output
serializers; they call ``cases.services`` and read through ``cases.selectors`` /
``cases.officer.selectors`` only. The platform parts (bearer tokens, scopes, throttles,
problem+json, schema hooks) come from ``portal.api``.

URL space (``urls``): ``requests/``, ``requests/{reference}/``, and per request the actions
``extend-preservation/`` and ``withdraw/``. Reserved for the disclosures work, so nothing
here may take these paths: ``requests/{reference}/productions/`` (and below it) and
``verify/``.
"""
