"""What a preservation (a hold) allows, in one place: whether it is in force and whether a
renewed request may still extend it.

The service (``preservation_extend``), the staff case page, the officer portal, the API and
the reminder texts all ask these functions instead of comparing statuses and counting
extensions themselves. The limits are the rules' (``MAX_PRESERVATION_EXTENSIONS``: 18 USC
2703(f)(2) one further 90 days; EU 2023/1543 Art. 11 one further 30 days; other kinds none).
"""

from __future__ import annotations

from cases.models import Preservation, PreservationStatus
from cases.rules import MAX_PRESERVATION_EXTENSIONS

# The statuses of a hold that is in force (the partial index cases_preservation_in_force
# lists the same two values).
IN_FORCE: tuple[str, ...] = (PreservationStatus.ACTIVE, PreservationStatus.EXTENDED)


def hold_in_force(hold: Preservation) -> bool:
    return hold.status in IN_FORCE


def hold_extensions_allowed(hold: Preservation) -> int:
    """How many extensions the hold's kind of process allows in all (needs ``process``)."""
    return MAX_PRESERVATION_EXTENSIONS.get(hold.process.kind, 0)


def hold_extensions_left(hold: Preservation) -> int:
    """How many more times a renewed request may extend the hold (0 when not in force)."""
    if not hold_in_force(hold):
        return 0
    return max(0, hold_extensions_allowed(hold) - hold.extension_count)


def hold_can_extend(hold: Preservation) -> bool:
    return hold_extensions_left(hold) > 0
