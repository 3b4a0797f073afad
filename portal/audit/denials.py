"""The one way a refusal is written to the access log.

Every gate calls ``denial_record`` when it refuses: the case gate (``cases.selectors``),
the workflow's role check, and the capability gate of the platform's services
(``portal.accounts.gates``). The request context (``portal.audit.middleware``) gives the
entry its address and request id, so no gate needs the request. Write it where no
transaction will roll it back: before the service opens one, or after it ended.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from portal.audit.services import Outcome, access_event_record


def denial_record(
    *,
    action: str,
    actor: Any,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    case_reference: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Log that ``actor`` was refused ``action``; anonymous callers are named as such.
    ``details`` are shortened to 40 characters each (a refusal records what was asked,
    never the payload). ``request`` only where no request context runs (the context's
    request is used otherwise)."""
    authenticated = getattr(actor, "is_authenticated", False)
    access_event_record(
        action=action,
        actor=actor if authenticated else None,
        actor_label="" if authenticated else "anonymous",
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        case_reference=case_reference,
        request=request,
        outcome=Outcome.DENIED,
        details={k: str(v)[:40] for k, v in (details or {}).items()},
    )
