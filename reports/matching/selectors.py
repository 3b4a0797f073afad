"""Reads of the matching app, and its one access rule (who manages lists and reviews hits).

Hash lists and matched items are child-safety material: only the child-safety team's
analysts and supervisors see them (ARCHITECTURE.md: child-safety material only its team),
and the matcher's own system actor acts on the cases it opens.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from portal.accounts.roles import Role, user_roles
from reports.matching.models import HashList, ImportJob, MatchedItem

MATCHER_ACTOR = "hash-matcher"
MATCHER_TEAM = "child-safety"
LIST_MANAGERS = frozenset({Role.CHILD_SAFETY, Role.SUPERVISOR})


def may_manage_lists(user: Any) -> bool:
    """Child-safety analysts and supervisors import, export and review; nobody else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_system_actor", False):
        return False
    return bool(user_roles(user) & LIST_MANAGERS)


def hash_lists_for(user: Any) -> QuerySet[HashList]:
    if not may_manage_lists(user):
        return HashList.objects.none()
    return HashList.objects.order_by("name")


def import_jobs_for(user: Any, hash_list: HashList) -> QuerySet[ImportJob]:
    if not may_manage_lists(user):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(hash_list=hash_list).order_by("-created_at")


def matched_items_for(user: Any) -> QuerySet[MatchedItem]:
    if not may_manage_lists(user):
        return MatchedItem.objects.none()
    return MatchedItem.objects.select_related("case").prefetch_related("hits")
