"""A view that exists only in tests: an API write whose transaction commits or rolls back.

It records its event inside the transaction, as services do, so the tests can check that a
token's use stays in the access log when the write, and its event with it, is rolled back.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.views import ApiView
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record

REFERENCE = "LR-2026-000001"


@audited(Action.UPDATE, object_type="tests.thing")
class WriteApi(ApiView):
    """``POST {"fail": true}`` records its event, then fails and rolls it back (400)."""

    def post(self, request: Request) -> Response:
        with transaction.atomic():
            access_event_record(action=Action.UPDATE, case_reference=REFERENCE)
            if request.data.get("fail"):
                raise exceptions.ValidationError({"fail": "Told to fail."})
        return Response({"done": True})


urlpatterns = [path("t/api/write/", WriteApi.as_view())]
