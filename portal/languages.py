"""The viewer's language: the profile's choice, else the language cookie, else the browser.

Django's ``LocaleMiddleware`` (before authentication) reads the cookie and
``Accept-Language``; ``UserLanguageMiddleware`` (after authentication) lets a signed-in
user's profile win, so an officer who chose French reads French on any computer. The
switcher on every page (``base.html``) posts to ``language_set``, which stores the choice in
the cookie and, for a signed-in user, in the profile. Adding a language is a catalogue under
``locale/`` and a row in ``settings.LANGUAGES``; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.audit.access import audit_exempt
from portal.audit.models import Action
from portal.audit.services import access_event_record

# Each language in its own tongue: a French officer finds "Français" in an English page.
NATIVE_NAMES = {
    "en": "English",
    "fr": "Français",
    "nl": "Nederlands",
    "de": "Deutsch",
    "es": "Español",
}


def language_choices() -> list[tuple[str, str]]:
    return [(code, NATIVE_NAMES.get(code, str(name))) for code, name in settings.LANGUAGES]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)


class UserLanguageMiddleware:
    """Activate the signed-in user's profile language for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None else ""
        if chosen and chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


def switcher(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the language switcher's form. It carries no copy of the page's
    address (a 404 page must not echo the reference it was asked for); the view goes back to
    the page through its Referer."""
    return {
        "language_form": LanguageForm(
            initial={"language": translation.get_language()}, auto_id="lang_%s"
        )
    }


@login_not_required
@require_POST
@audit_exempt("shows no case data; a signed-in user's profile change is logged below")
def language_set(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language (cookie; profile when signed in) and go back."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next", "") or request.headers.get("referer", "") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    user = request.user
    if user.is_authenticated and getattr(user, "language", None) != language:
        user.language = language
        user.save(update_fields=["language"])
        access_event_record(
            action=Action.UPDATE, request=request, obj=user, details={"language": language}
        )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
