"""Officer submissions: intake that is safe to retry.

A network drop after the server committed but before the officer's software saw the answer
is ordinary; the software then sends the same request again. ``case_submit`` takes the
client's idempotency key (the API's ``Idempotency-Key`` header, the portal form's hidden
submission key) and guarantees one request per key and officer, even when two retries arrive
at the same moment. See ``SubmissionKey`` for how, and docs/decisions (idempotent
submissions) for why the key row is written first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from cases.models import Case, SubmissionKey
from cases.services.intake import IntakeInput, case_intake
from cases.services.processes import TargetInput
from portal.audit.services import access_event_record

KEY_MAX_LENGTH = 255


class SubmissionKeyReused(ValidationError):
    """The key already names a different submission of this officer (a client bug)."""


@dataclass(frozen=True)
class Submission:
    """The request a submission created, and whether this call only found it again."""

    case: Case
    replayed: bool


def submission_key_problem(key: str) -> str:
    """Why ``key`` cannot be an idempotency key, or "" (1-255 visible ASCII characters)."""
    if not key or len(key) > KEY_MAX_LENGTH:
        return _("An idempotency key has 1 to 255 characters; a UUID is a good choice.")
    if not all(33 <= ord(c) <= 126 for c in key):
        return _("An idempotency key uses visible ASCII characters only (no spaces).")
    return ""


def submission_fingerprint(values: dict[str, Any]) -> str:
    """SHA-256 over the submitted values and the document's bytes, order-independent."""

    def plain(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            digest = hashlib.sha256()
            for chunk in value.chunks():
                digest.update(chunk)
            return {"sha256": digest.hexdigest()}
        if isinstance(value, TargetInput):
            return [value.kind, value.value]
        if isinstance(value, date | datetime):
            return value.isoformat()
        if isinstance(value, Model):
            return value.pk
        if isinstance(value, list | tuple | set | frozenset):
            items = [plain(v) for v in value]
            return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
        return value

    canonical = json.dumps({k: plain(v) for k, v in values.items()}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_submit(
    *,
    actor: Any,
    data: IntakeInput,
    key: str = "",
) -> Submission:
    """An officer files a request (``data`` as ``case_intake`` takes it); at most once per
    ``key``.

    Without a key this is plain intake. With one, the key row is inserted first in the
    intake's transaction: a concurrent retry blocks on the unique index until the first
    attempt ends, then either finds the committed row (and answers with the same case) or,
    if the first attempt failed and rolled back, performs the intake itself. A failed
    intake stores no key, so a corrected retry may reuse it. The same key with different
    values raises ``SubmissionKeyReused``.
    """
    if not key:
        return Submission(case=case_intake(actor=actor, data=data), replayed=False)
    problem = submission_key_problem(key)
    if problem:
        raise ValidationError({"idempotency_key": problem})
    fingerprint = submission_fingerprint(
        {f.name: getattr(data, f.name) for f in fields(data) if f.name != "received_at"}
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = SubmissionKey.objects.create(user=actor, key=key, fingerprint=fingerprint)
        except IntegrityError:
            claim = None  # an earlier attempt with this key committed first
        if claim is not None:
            case = case_intake(actor=actor, data=data)
            SubmissionKey.objects.filter(pk=claim.pk).update(case=case)
            return Submission(case=case, replayed=False)
    earlier = SubmissionKey.objects.select_related("case").get(user=actor, key=key)
    if earlier.fingerprint != fingerprint or earlier.case is None:
        raise SubmissionKeyReused(
            {
                "idempotency_key": _(
                    "This idempotency key was already used for a different request. Use a "
                    "new key for each new request."
                )
            },
            code="idempotency_key_reused",
        )
    access_event_record(
        action="intake_replayed",
        actor=actor,
        obj=earlier.case,
        case_reference=earlier.case.reference,
        details={"key_sha256": hashlib.sha256(key.encode()).hexdigest()[:16]},
    )
    return Submission(case=earlier.case, replayed=True)
