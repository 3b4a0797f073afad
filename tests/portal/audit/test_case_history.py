"""A case's own access history: the selector and the include the case page uses."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from portal.audit.models import AccessEvent
from portal.audit.selectors import CASE_HISTORY_LIMIT, access_events_for_case
from portal.audit.services import access_event_record

pytestmark = pytest.mark.django_db


def history_html(user, context: dict) -> str:
    request = RequestFactory().get("/cases/LR-1/")
    request.user = user
    template = Template('{% include "audit/_case_history.html" %}')
    return template.render(Context({"request": request, **context}))


def test_auditor_and_supervisor_get_the_case_events_newest_first(auditor, supervisor, responder):
    first = access_event_record(action="view", actor=responder, case_reference="LR-1")
    second = access_event_record(action="download", actor=responder, case_reference="LR-1")
    access_event_record(action="view", actor=responder, case_reference="LR-2")

    for reader in (auditor, supervisor):
        assert list(access_events_for_case(reader, "LR-1")) == [second, first]


def test_others_get_nothing(responder, legal, child_safety, officer_a):
    access_event_record(action="view", actor=responder, case_reference="LR-1")

    for user in (responder, legal, child_safety, officer_a.user):
        assert list(access_events_for_case(user, "LR-1")) == []


def test_an_empty_reference_matches_nothing(auditor):
    access_event_record(action="login", actor=auditor)  # no case

    assert list(access_events_for_case(auditor, "")) == []


def test_the_include_shows_the_history_to_an_auditor(auditor, responder):
    access_event_record(action="download", actor=responder, case_reference="LR-1")

    class Case:  # the case page passes its case; only .reference is used
        reference = "LR-1"

    html = history_html(auditor, {"case": Case()})

    assert "Access history" in html
    assert "responder" in html
    assert "download" in html


def test_the_include_renders_nothing_for_others(responder):
    access_event_record(action="download", actor=responder, case_reference="LR-1")

    assert history_html(responder, {"case_reference": "LR-1"}).strip() == ""


def test_the_include_links_to_the_full_history_when_it_is_long(auditor, responder):
    for _ in range(CASE_HISTORY_LIMIT + 1):
        access_event_record(action="view", actor=responder, case_reference="LR-1")

    html = history_html(auditor, {"case_reference": "LR-1"})

    assert html.count("<tr>") == CASE_HISTORY_LIMIT + 1  # header + rows
    assert "/audit/?case=LR-1" in html
    assert AccessEvent.objects.filter(case_reference="LR-1").count() == CASE_HISTORY_LIMIT + 1
