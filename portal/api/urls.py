"""``/api/v1/``: the versioned REST API, its OpenAPI schema and interactive docs."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.api.views import MeView

app_name = "api"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local files (drf-spectacular-sidecar), its start-up script served as a
    separate file, and no inline style: the page works under the portal's strict CSP."""

    template_name = "api/swagger_ui.html"


urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", login_not_required(DocsView.as_view(url_name="api:schema")), name="docs"),
]
