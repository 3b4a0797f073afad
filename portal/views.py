"""Shell views: the landing page (the health checks are in ``portal.health``)."""

from django.http import HttpRequest, HttpResponse
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
