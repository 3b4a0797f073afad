"""Where a user lands once intake created a case, and what they are told.

Intake routes a case to the team of its region or type (``team_route``), which need not be
one the person recording it belongs to: a responder who records an EU order for a German
agency hands it to the EMEA team. Sending them to a page they may not see would answer 404
and leave them wondering whether the case exists at all, so they land on the case when
they may see it, and otherwise on their queue with a message naming the reference and the
team that now has it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Case
from cases.selectors import cases_visible_to


def intake_landing(request: HttpRequest, case: Case) -> str:
    """The address to go to after ``case``'s intake; adds the message that explains it."""
    facts = {"reference": case.reference, "team": case.team.name}
    if cases_visible_to(request.user).filter(pk=case.pk).exists():
        messages.success(request, _("%(reference)s created for team %(team)s.") % facts)
        return reverse("cases:detail", args=[case.reference])
    messages.success(
        request,
        _(
            "%(reference)s created and routed to team %(team)s, which works cases of its "
            "region; you are not in that team, so it is not in your queue. Quote the "
            "reference to that team if you need to follow it up."
        )
        % facts,
    )
    return reverse("cases:queue")
