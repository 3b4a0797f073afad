"""Sessions renewed at most once a minute, not written on every request.

The idle limit (``SESSION_COOKIE_AGE``) restarts when the user acts. Django's way to get
that, ``SESSION_SAVE_EVERY_REQUEST``, writes the session row on every page: an UPDATE in
its own transaction, three statements and a round trip each, on every staff page (issue 9,
item 17: the session write was part of every page's cost). Here the session is saved as
usual when its data changes, and otherwise renewed when the last renewal is older than
``LIAISON_SESSION_RENEW_SECONDS`` (default 60): the idle limit then holds to within that
many seconds (15 minutes idle ends the session after 15 to 16 minutes).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

RENEWED_AT_KEY = "liaison_renewed_at"


class RenewingSessionMiddleware(SessionMiddleware):
    """``SessionMiddleware`` that marks a live session modified once per renewal interval;
    Django then saves it (new expiry) and sends its cookie, as on any change."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        # session_key without loading: only a session that exists (a cookie) is renewed
        if session is not None and session.session_key and not session.is_empty():
            now = time.time()
            interval = getattr(settings, "LIAISON_SESSION_RENEW_SECONDS", 60)
            renewed = session.get(RENEWED_AT_KEY)  # loads it; a stale key is dropped then
            stale = not isinstance(renewed, int | float) or now - renewed >= interval
            if stale and session.session_key:
                session[RENEWED_AT_KEY] = now
        return super().process_response(request, response)
