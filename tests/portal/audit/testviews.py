"""Views that exist only in tests, each using one of the audit helpers the apps use.

Teams stand in for case data: the helpers do not care what the object is.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import DetailView, ListView
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated

from portal.accounts.models import Team
from portal.audit.access import (
    AuditedAPIMixin,
    AuditedDetailMixin,
    AuditedListMixin,
    audit_exempt,
    audited,
)
from portal.audit.models import Action
from portal.audit.services import access_event_record


@audited(Action.VIEW, object_type="tests.thing")
def forgetful_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Shows case data and records nothing itself: the middleware must."""
    return HttpResponse(f"case {reference}")


@audited(Action.VIEW, object_type="tests.thing")
def careful_view(request: HttpRequest, reference: str) -> HttpResponse:
    access_event_record(action=Action.VIEW, request=request, case_reference=reference)
    return HttpResponse(f"case {reference}")


@audited(Action.VIEW, object_type="tests.thing")
def gated_view(request: HttpRequest, reference: str) -> HttpResponse:
    """A gate: unknown references 404, a forbidden one 403."""
    if reference == "LR-FORBIDDEN":
        raise PermissionDenied
    if reference != "LR-OK":
        raise Http404
    return HttpResponse("ok")


@audited(Action.VIEW)
def service_view(request: HttpRequest) -> HttpResponse:
    """Calls a "service" that records without being handed the request."""
    access_event_record(action=Action.UPDATE, actor=request.user, case_reference="LR-SVC")
    return HttpResponse("done")


@audited(Action.VIEW, object_type="tests.thing")
def identity_only_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Records who called (as token authentication does) but not what it showed."""
    access_event_record(action=Action.TOKEN_USED, request=request)
    return HttpResponse(f"case {reference}")


@audit_exempt("shows no case data")
def exempt_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing to see")


def unmarked_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("unmarked")


class TeamDetailView(AuditedDetailMixin, DetailView):
    model = Team
    audit_object_type = "accounts.team"

    def get_queryset(self):  # the gate: only one's own teams
        return Team.objects.filter(members=self.request.user)

    def render_to_response(self, context, **kwargs):
        return HttpResponse(context["object"].name)


class TeamListView(AuditedListMixin, ListView):
    model = Team
    paginate_by = 2
    audit_object_type = "accounts.team"

    def render_to_response(self, context, **kwargs):
        return HttpResponse(",".join(t.name for t in context["object_list"]))


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class _SessionAPI:
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []
    serializer_class = TeamSerializer

    def get_queryset(self):
        return Team.objects.filter(members=self.request.user).order_by("pk")


class TwoPerPage(PageNumberPagination):
    page_size = 2


class TeamAPIDetail(_SessionAPI, AuditedAPIMixin, generics.RetrieveAPIView):
    audit_object_type = "accounts.team"


class TeamAPIList(_SessionAPI, AuditedAPIMixin, generics.ListAPIView):
    audit_object_type = "accounts.team"
    pagination_class = TwoPerPage


urlpatterns = [
    path("t/forgetful/<str:reference>/", forgetful_view, name="forgetful"),
    path("t/careful/<str:reference>/", careful_view, name="careful"),
    path("t/gated/<str:reference>/", gated_view, name="gated"),
    path("t/service/", service_view, name="service"),
    path("t/identity/<str:reference>/", identity_only_view, name="identity"),
    path("t/exempt/", exempt_view, name="exempt"),
    path("t/unmarked/", unmarked_view, name="unmarked"),
    path("t/teams/", TeamListView.as_view(), name="team_list"),
    path("t/teams/<int:pk>/", TeamDetailView.as_view(), name="team_detail"),
    path("t/api/teams/", TeamAPIList.as_view(), name="team_api_list"),
    path("t/api/teams/<int:pk>/", TeamAPIDetail.as_view(), name="team_api_detail"),
    path("", include("portal.urls")),
]
