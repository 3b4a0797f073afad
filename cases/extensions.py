"""Where other apps take part in the domain without the domain importing them.

Dependencies point one way (``reports`` -> ``cases`` -> ``portal``). When an output must
shape the domain's behaviour, the domain offers a small registry here and the output app
registers with it from its ``AppConfig.ready()``:

- **Transition guards**: "a case may be marked disclosed only once a released disclosure
  exists for each process" is a rule of ``reports.disclosures``; it registers a guard on the
  target status, and the workflow asks every guard as it asks the table's own.
- **Transition effects**: "filing a CyberTipline report starts the one-year preservation
  clock" runs inside the transition's transaction, after the move.
- **Case page panels**: each output shows its part of the case (productions, reports,
  matches) as a panel of the case page, with its own template and context.

Example (``reports/disclosures/apps.py``)::

    def ready(self):
        from cases.extensions import register_transition_guard
        from cases.models import CaseStatus
        from reports.disclosures.rules import disclosed_needs_release

        register_transition_guard(target=CaseStatus.DISCLOSED, guard=disclosed_needs_release)

Registration is idempotent per function (``ready()`` may run more than once in tests).
See docs/decisions/0019-domain-extension-points.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from django.http import HttpRequest

    from cases.models import Case

# A guard answers why the move is not allowed now, or "" when it is.
TransitionGuard = Callable[["Case"], str]


class TransitionEffect(Protocol):
    def __call__(self, *, case: Case, actor: Any, now: datetime, reason: str) -> None: ...


@dataclass(frozen=True)
class _Registered:
    target: str
    source: str | None  # None: any source
    fn: Any

    def applies(self, source: str, target: str) -> bool:
        return self.target == target and (self.source is None or self.source == source)


_GUARDS: list[_Registered] = []
_EFFECTS: list[_Registered] = []


def _register(registry: list[_Registered], entry: _Registered) -> None:
    if entry not in registry:
        registry.append(entry)


def register_transition_guard(
    *, target: str, guard: TransitionGuard, source: str | None = None
) -> None:
    """Ask ``guard(case)`` before any move to ``target`` (from ``source``, or from any)."""
    _register(_GUARDS, _Registered(target=str(target), source=_opt(source), fn=guard))


def register_transition_effect(
    *, target: str, effect: TransitionEffect, source: str | None = None
) -> None:
    """Run ``effect(case=, actor=, now=, reason=)`` in the transaction of each move to
    ``target`` (``reason`` is the text the person gave for the step, or "")."""
    _register(_EFFECTS, _Registered(target=str(target), source=_opt(source), fn=effect))


def transition_guards(source: str, target: str) -> list[TransitionGuard]:
    return [entry.fn for entry in _GUARDS if entry.applies(source, target)]


def transition_effects(source: str, target: str) -> list[TransitionEffect]:
    return [entry.fn for entry in _EFFECTS if entry.applies(source, target)]


def transition_refusal(case: Case, source: str, target: str) -> str:
    """The first registered guard's objection to moving ``case`` to ``target``, or ""."""
    for guard in transition_guards(source, target):
        problem = guard(case)
        if problem:
            return problem
    return ""


def _opt(value: str | None) -> str | None:
    return None if value is None else str(value)


# --- Case page panels ------------------------------------------------------------------


PanelContext = Callable[["HttpRequest", "Case"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class CasePanel:
    """One panel of the case page.

    ``context(request, case)`` returns the panel's template context, or ``None`` to hide
    the panel (e.g. the viewer may not see it, or it does not apply to this case type).
    The case page has already passed the case gate; a panel showing material of its own
    (child-safety files) must still ask its own gate. ``column`` is ``main`` (the wide
    column) or ``side`` (the actions column); lower ``order`` comes first. ``audience``
    is ``staff`` (the case page) or ``officer`` (the officer portal's request page, for
    productions, messages and referrals the agency may see).
    """

    name: str
    template: str
    context: PanelContext
    column: Literal["main", "side"] = "main"
    order: int = 100
    audience: Literal["staff", "officer"] = "staff"


_PANELS: dict[str, CasePanel] = {}


def register_case_panel(panel: CasePanel) -> None:
    existing = _PANELS.get(panel.name)
    if existing is not None and existing != panel:
        raise ValueError(f"A case panel named {panel.name!r} is already registered.")
    _PANELS[panel.name] = panel


@dataclass(frozen=True)
class RenderedPanel:
    name: str
    template: str
    context: dict[str, Any]
    column: str


def case_panels_for(
    request: HttpRequest, case: Case, *, audience: str = "staff"
) -> list[RenderedPanel]:
    """The panels of ``audience``'s page of ``case`` for this request, in order."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.name)):
        if panel.audience != audience:
            continue
        context = panel.context(request, case)
        if context is None:
            continue
        shown.append(RenderedPanel(panel.name, panel.template, context, panel.column))
    return shown
