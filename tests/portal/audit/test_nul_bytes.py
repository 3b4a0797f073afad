"""A NUL byte in request input (issue 9, item 4): PostgreSQL cannot store U+0000, so the
access log's one writer makes it storable (forms and the API already refuse it in text
fields with Django's and DRF's null-character validators).

Before the fix, ``GET /cases/?q=%00`` failed with a 500 when the search was logged.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit.clean import NUL_SHOWN_AS, log_details, log_text
from portal.audit.models import AccessEvent
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["%00", "new%00comer", "LR-2026%00"])
def test_a_search_with_a_nul_byte_is_answered_and_logged(responder, query):
    response = verified_client(responder).get(f"{reverse('cases:queue')}?q={query}")

    assert response.status_code == 200
    event = AccessEvent.objects.filter(actor=responder, action="search").latest("pk")
    assert "\x00" not in json.dumps(event.details)
    assert NUL_SHOWN_AS in event.details["query"]["q"]  # the log still shows one was sent


def test_a_nul_byte_in_a_logged_header_does_not_fail_the_request(responder):
    response = verified_client(responder).get(
        reverse("cases:queue"), HTTP_USER_AGENT="Example\x00Browser/1.0"
    )

    assert response.status_code == 200
    event = AccessEvent.objects.filter(actor=responder).latest("pk")
    assert event.user_agent == f"Example{NUL_SHOWN_AS}Browser/1.0"


def test_the_auditors_filters_take_a_nul_byte(auditor):
    response = verified_client(auditor).get(reverse("audit:events"), {"actor": "a\x00b"})

    assert response.status_code == 200


def test_log_details_cleans_keys_values_and_nested_lists():
    cleaned = log_details({"q\x00": ["a\x00", {"b": "c\x00"}], "n": 3})

    assert cleaned == {f"q{NUL_SHOWN_AS}": [f"a{NUL_SHOWN_AS}", {"b": f"c{NUL_SHOWN_AS}"}], "n": 3}
    assert log_text("x\x00yz", 2) == f"x{NUL_SHOWN_AS}"


def test_the_log_names_objects_as_people_do(auditor):
    """Issue 9, item 16: "Case", not "cases.case"; the stored type stays in the tooltip."""
    AccessEvent.objects.create(
        at=timezone.now(),
        action="view",
        actor_label="responder",
        object_type="cases.case",
        object_id="7",
    )

    text = verified_client(auditor).get(reverse("audit:events")).content.decode()

    assert '<span title="cases.case">Case</span>' in text
