"""Shell views: the landing page and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from portal.context_processors import shell


def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the first page their role works on."""
    items = shell(request)["nav_items"]
    if items:
        return redirect(items[0]["url"])
    try:
        return redirect(reverse("accounts:security"))
    except NoReverseMatch:  # pragma: no cover - accounts URLs always exist
        return render(request, "portal/home.html")


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
