"""Where intake lands (issue 9, item 5): a case routed to a team the recorder is not in is
not a 404; they land on their queue, told the reference and the team that has it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.models import Case, ProcessKind, RoutingRule
from portal.accounts.models import Team
from tests.cases.test_views_intake import INTAKE, form_data
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def emea(db) -> Team:
    team = Team.objects.create(name="EMEA", slug="emea")
    RoutingRule.objects.create(position=10, jurisdiction="DE", team=team)
    return team


def german_order(**overrides):
    return form_data(
        kind=ProcessKind.EU_EPOC,
        country="DE",
        subdivision="DE-BE",
        issuing_authority="Staatsanwaltschaft Berlin",
        **overrides,
    )


def test_a_case_routed_to_another_team_lands_on_the_queue_with_its_reference(responder, emea):
    client = verified_client(responder)

    response = client.post(INTAKE, german_order())

    case = Case.objects.get()
    assert case.team == emea
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert case.reference in message and "EMEA" in message
    assert client.get(response["Location"]).status_code == 200  # a page they may see


def test_a_case_of_ones_own_team_still_opens(responder, emea):
    emea.members.add(responder)

    response = verified_client(responder).post(INTAKE, german_order())

    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.reference])
