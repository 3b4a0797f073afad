"""Writes on hash lists: create or update a list, export it, mark a false positive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import access_event_record
from reports.matching import formats
from reports.matching.models import (
    AllowedHash,
    HashEntry,
    HashList,
    ItemStatus,
    MatchedItem,
    Verdict,
)
from reports.matching.selectors import may_manage_lists


def hash_list_ensure(
    *,
    name: str,
    actor: User | None,
    actor_label: str = "",
    source: str | None = None,
    version: str | None = None,
    labels: list[str] | None = None,
    pdq_threshold: int | None = None,
    review_only: bool | None = None,
    active: bool | None = None,
) -> tuple[HashList, bool]:
    """The list named ``name``, created when missing; the facts given (not None) are set.
    Returns (list, created)."""
    with transaction.atomic():
        hash_list, created = HashList.objects.select_for_update().get_or_create(name=name)
        before = {
            f: getattr(hash_list, f)
            for f in ("source", "version", "labels", "pdq_threshold", "verdict", "active")
        }
        if source is not None:
            hash_list.source = source.strip()
        if version is not None:
            hash_list.version = version.strip()
        if labels is not None:
            hash_list.labels = sorted(set(labels))
        if pdq_threshold is not None:
            hash_list.pdq_threshold = pdq_threshold
        if review_only is not None:
            hash_list.verdict = Verdict.REVIEW if review_only else Verdict.BLOCK
        if active is not None:
            hash_list.active = active
        hash_list.full_clean()
        after = {f: getattr(hash_list, f) for f in before}
        if created or after != before:
            hash_list.revision = F("revision") + 1
            hash_list.save()
            hash_list.refresh_from_db()
            access_event_record(
                action="hash_list_created" if created else "hash_list_changed",
                actor=actor,
                actor_label=actor_label,
                obj=hash_list,
                details={k: v for k, v in after.items() if created or before[k] != v},
            )
    return hash_list, created


def _entries(hash_list: HashList) -> Iterator[tuple[str, str, int | None, str]]:
    rows = (
        HashEntry.objects.filter(hash_list=hash_list)
        .order_by("id")
        .values_list("hash_type", "value", "quality", "label")
    )
    yield from rows.iterator(chunk_size=10000)


def hash_list_export(
    *,
    hash_list: HashList,
    out: IO[str],
    file_format: str,
    actor: User | None = None,
    actor_label: str = "",
) -> tuple[int, int]:
    """Write every entry of the list to ``out``; (written, skipped). Logged: sharing a list
    is an act the team must be able to account for."""
    written, skipped = formats.rows_write(out, _entries(hash_list), file_format=file_format)
    access_event_record(
        action="hash_list_export",
        actor=actor,
        actor_label=actor_label,
        obj=hash_list,
        details={"format": file_format, "written": written, "skipped": skipped},
    )
    return written, skipped


def item_review(
    *, item: MatchedItem, actor: User, confirmed: bool, reason: str = ""
) -> MatchedItem:
    """An analyst's decision on a matched item: confirmed, or a false positive, which puts
    the item's hashes on the allow-list for the entries it matched (so the same harmless
    file never blocks again, and the entries still block everything else)."""
    if not may_manage_lists(actor):
        raise PermissionDenied
    reason = reason.strip()
    if not confirmed and not reason:
        raise ValidationError({"reason": _("Say why this is a false positive.")})
    with transaction.atomic():
        now = timezone.now()
        status = ItemStatus.CONFIRMED if confirmed else ItemStatus.FALSE_POSITIVE
        changed = MatchedItem.objects.filter(pk=item.pk, status=ItemStatus.PENDING).update(
            status=status, reviewed_by=actor, reviewed_at=now
        )
        if changed != 1:
            raise ValidationError(_("This item has been reviewed already."))
        item.refresh_from_db()
        allowed = 0
        if not confirmed:
            for hit in item.hits.all():
                value = getattr(item, hit.hash_type, "") or hit.value
                AllowedHash.objects.create(
                    hash_type=hit.hash_type,
                    value=value,
                    entry_id=hit.entry_id,
                    reason=reason[:300],
                    created_by=actor,
                )
                allowed += 1
        access_event_record(
            action="match_item_review",
            actor=actor,
            obj=item,
            case_reference=item.case.reference if item.case is not None else "",
            details={"status": status, "allowed": allowed},
        )
    return item
