"""What the access log knows about the request being served.

The access-log middleware opens a ``RequestAudit`` for each request. It lets a service that
was called without the request (``case_assign(*, case, assignee, actor)``) still record the
client address, user agent and request id, and it lets the middleware tell whether the view
recorded anything. A context variable rather than a thread local, so it is right under
ASGI too.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass
class RequestAudit:
    request: HttpRequest
    recorded: int = 0  # events recorded while serving this request
    denied: int = 0  # of which with outcome "denied"
    # The API token that authenticated the request (its public prefix): every event of the
    # request names it, and the middleware logs the use itself unless one of them is kept.
    token: str = ""
    token_logged: bool = False  # an event naming the token was committed
    token_events: list[int] = field(default_factory=list)  # ones written in a transaction


_current: ContextVar[RequestAudit | None] = ContextVar("liaison_request_audit", default=None)


def request_audit_begin(request: HttpRequest) -> tuple[RequestAudit, Token]:
    state = RequestAudit(request=request)
    return state, _current.set(state)


def request_audit_end(token: Token) -> None:
    _current.reset(token)


def request_audit_current() -> RequestAudit | None:
    return _current.get()
