"""Helpers that make views showing case data log their reads, and the marker behind them.

Every view that shows case data carries an *audit marker*; ``AccessLogMiddleware`` reads it
after the view ran and makes sure the request left a trace:

* 2xx and the view recorded nothing itself: one event with the marker's action, the URL's
  case reference and the path (a safety net; a precise event from the view is better);
* 403 or 404 (a gate said no, or the object does not exist): one ``permission_denied``
  event with outcome ``denied``, unless the view already recorded a denial.

``tests/portal/audit/test_url_coverage.py`` walks every URL pattern and fails for any that
is neither marked nor on its short allow-list, so a new view cannot forget.

How to mark a view:

Function views (put ``@audited`` outermost, above ``@api_view`` for DRF)::

    @audited(Action.VIEW, object_type="cases.case")        # URL kwarg "reference"
    def case_detail(request, reference): ...

Class-based views and DRF views (the mixins record precise events themselves)::

    class CaseDetailView(AuditedDetailMixin, DetailView):   # one "view" event naming the object
        audit_object_type = "cases.case"

    class CaseQueueView(AuditedListMixin, ListView):        # ONE "list" event naming the page
        audit_object_type = "cases.case"

    class RequestViewSet(AuditedAPIMixin, viewsets.ReadOnlyModelViewSet): ...

A view that shows no case data says so, with a reason a reviewer can judge::

    @audit_exempt("the intake form shows no existing case data")
    def intake(request): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from portal.audit.models import Action
from portal.audit.services import access_event_record, access_list_record

MARKER_ATTR = "liaison_audit"

V = TypeVar("V", bound=Callable[..., Any])


@dataclass(frozen=True)
class AuditMarker:
    """What the middleware needs to log a request to one view."""

    action: str | None  # None: exempt
    object_type: str = ""
    case_kwarg: str = "reference"  # URL kwarg holding the case reference
    exempt_reason: str = ""
    admin: bool = False  # a Django admin model page: action follows the page and method

    @property
    def exempt(self) -> bool:
        return self.action is None


def audited(
    action: str = Action.VIEW, *, object_type: str = "", case_kwarg: str = "reference"
) -> Callable[[V], V]:
    """Mark a view (function or class) as showing case data: its requests are logged."""

    def decorate(view: V) -> V:
        setattr(view, MARKER_ATTR, AuditMarker(action, object_type, case_kwarg))
        return view

    return decorate


def audit_exempt(reason: str) -> Callable[[V], V]:
    """Mark a view (function or class) as showing no case data, for the stated reason."""
    if not reason.strip():
        raise ValueError("audit_exempt needs a reason")

    def decorate(view: V) -> V:
        setattr(view, MARKER_ATTR, AuditMarker(None, exempt_reason=reason))
        return view

    return decorate


class AuditedViewMixin:
    """Marks a class-based (Django or DRF) view as showing case data.

    ``audit_action`` is what the middleware records when the view records nothing itself;
    ``audit_case_kwarg`` names the URL kwarg that holds the case reference.
    """

    audit_action: str = Action.VIEW
    audit_object_type: str = ""
    audit_case_kwarg: str = "reference"
    request: Any
    kwargs: dict[str, Any]

    def audit_case_reference(self, obj: Any = None) -> str:
        """The case the shown data belongs to; override when the URL does not say."""
        return str(self.kwargs.get(self.audit_case_kwarg, "") or "")


class AuditedDetailMixin(AuditedViewMixin):
    """Records one ``audit_action`` event naming the object, the moment it is fetched.

    Works with Django's ``SingleObjectMixin`` and DRF's ``GenericAPIView``: both fetch the
    object through ``get_object``, after their gate (``get_queryset``) had its say, so a
    missing or forbidden object raises 404 before anything is recorded here (the
    middleware then records the denial).
    """

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        obj = super().get_object(*args, **kwargs)  # type: ignore[misc]
        if not getattr(self, "_audit_recorded", False):
            self._audit_recorded = True
            access_event_record(
                action=self.audit_action,
                request=self.request,
                obj=obj,
                object_type=self.audit_object_type,
                case_reference=self.audit_case_reference(obj),
            )
        return obj


class AuditedListMixin(AuditedViewMixin):
    """For Django ``ListView``: ONE ``list`` event naming the ids on the page shown."""

    audit_action = Action.LIST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        objects = context.get("object_list") or []
        page = context.get("page_obj")
        access_list_record(
            request=self.request,
            action=self.audit_action,
            object_type=self.audit_object_type,
            objects=objects,  # a QuerySet caches its rows: the template reuses them
            page=page.number if page is not None else None,
            case_reference=self.audit_case_reference(),
            query={k: v for k, v in self.request.GET.items() if k != "page"} or None,
        )
        return context


class AuditedAPIMixin(AuditedDetailMixin):
    """For DRF generic views and viewsets: ``retrieve`` records a ``view`` of the object,
    ``list`` records ONE ``list`` event naming the ids on the page (paginate the list)."""

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        if page is not None:
            paginator = getattr(self, "paginator", None)
            number = getattr(getattr(paginator, "page", None), "number", None)
            access_list_record(
                request=self.request,
                object_type=self.audit_object_type,
                objects=page,
                page=number,
                case_reference=self.audit_case_reference(),
                query={k: v for k, v in self.request.query_params.items() if k != "page"} or None,
            )
        return page


def audit_marker_for(callback: Callable[..., Any]) -> AuditMarker | None:
    """The marker of a resolved view callback, or None when it has none.

    Looks at the function (``@audited`` / ``@audit_exempt``), then at the class behind a
    class-based or DRF view (``view_class`` / ``cls``), then at the admin: every model page
    of the Django admin is logged, since any app may register case models there.
    """
    marker = getattr(callback, MARKER_ATTR, None)
    if isinstance(marker, AuditMarker):
        return marker
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        marker = getattr(view_class, MARKER_ATTR, None)
        if isinstance(marker, AuditMarker):
            return marker
        if isinstance(view_class, type) and issubclass(view_class, AuditedViewMixin):
            action = view_class.audit_action
            actions = getattr(callback, "actions", None)  # DRF viewset: {"get": "list"}
            if actions and "list" in actions.values():
                action = Action.LIST
            return AuditMarker(action, view_class.audit_object_type, view_class.audit_case_kwarg)
    model_admin = getattr(callback, "model_admin", None)
    if model_admin is not None:
        return AuditMarker(Action.VIEW, object_type=model_admin.model._meta.label_lower, admin=True)
    return None
