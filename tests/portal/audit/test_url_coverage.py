"""Every URL of the portal either logs its reads and denials or is allowed not to.

The walk visits every pattern Django resolves (the cases app, the officer API and the admin
included, whatever they add later). A view passes when it carries an audit marker
(``@audited`` or one of the ``Audited*Mixin``: the access-log middleware then guarantees an
event; ``@audit_exempt(reason)``: its owner states it shows no case data), when it is a
Django admin model page (logged by the middleware's admin rule), or when it is on the short
allow-list below. Anything else fails, so a new view cannot forget the log.

The second test requests every marked view as a supervisor, with made-up URL parameters,
and checks the log got an event: a read for a 2xx answer, a denial for a 403/404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.urls import get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from portal.audit.access import audit_marker_for
from portal.audit.models import AccessEvent
from tests.factories import verified_client
from tests.url_walk import Url, walk


def view_class(url: Url) -> type | None:
    return getattr(url.callback, "view_class", None) or getattr(url.callback, "cls", None)


def _is_openapi_view(url: Url) -> bool:
    cls = view_class(url)
    return cls is not None and cls.__module__.startswith("drf_spectacular")


def _is_openapi_subclass(url: Url) -> bool:
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    cls = view_class(url)
    return isinstance(cls, type) and issubclass(cls, SpectacularAPIView | SpectacularSwaggerView)


# The allow-list: (what matches, why it need not log). Keep it short; app views mark
# themselves with @audit_exempt("reason") instead of being added here.
ALLOWED: list[tuple[Callable[[Url], bool], str]] = [
    (lambda u: u.name == "home", "redirects to the first page of the user's role"),
    (lambda u: u.name in {"healthz", "healthz-celery"}, "liveness for load balancers"),
    (
        lambda u: u.namespace == "accounts",
        "sign-in, second factor, own security settings: they record their own security "
        "events (login, login_failed, otp_failed, lockout) and show no case data",
    ),
    (
        lambda u: (
            u.namespace == "otp_webauthn"
            or u.name in {"passkey-authentication-complete", "passkey-registration-complete"}
        ),
        "passkey ceremonies (part of sign-in)",
    ),
    (
        lambda u: (
            u.name
            in {
                "admin:index",
                "admin:login",
                "admin:logout",
                "admin:password_change",
                "admin:password_change_done",
                "admin:jsi18n",
                "admin:autocomplete",
                "admin:app_list",
                "admin:auth_user_password_change",
                "admin:otp_totp_totpdevice_config",
                "admin:otp_totp_totpdevice_qrcode",
            }
        ),
        "admin chrome, passwords and second-factor set-up: no case data",
    ),
    (
        lambda u: u.name == "admin:view_on_site",
        "redirects to the object's own page, which logs the read",
    ),
    (
        lambda u: getattr(u.callback, "__name__", "") in {"admin_login_view", "catch_all_view"},
        "the admin's sign-in (through the portal's lockout) and its 404 catch-all",
    ),
    (
        lambda u: _is_openapi_view(u) or _is_openapi_subclass(u),
        "the OpenAPI schema and its docs describe the API, never data",
    ),
]

URLS = list(walk(get_resolver().url_patterns))


def allowed(url: Url) -> str | None:
    return next((reason for match, reason in ALLOWED if match(url)), None)


def test_every_url_logs_access_or_is_allowed_not_to():
    unmarked = [u for u in URLS if audit_marker_for(u.callback) is None and not allowed(u)]

    assert not unmarked, (
        "These URLs can show data without writing to the access log. Mark each view:\n"
        "  @audited(Action.VIEW, object_type='cases.case')   (portal.audit.access), or a\n"
        "  class with AuditedDetailMixin / AuditedListMixin / AuditedAPIMixin, or\n"
        "  @audit_exempt('why it shows no case data').\n" + "\n".join(f"  {u}" for u in unmarked)
    )


def test_the_walk_sees_the_whole_portal():
    """Guards the walk itself: if it stopped descending, the test above would pass vacuously."""
    names = {u.name for u in URLS}
    assert {"audit:events", "audit:export", "accounts:login", "admin:index"} <= names
    assert any(
        getattr(u.callback, "model_admin", None) is not None for u in URLS
    )  # admin model pages


_SAMPLE = {"int": "987654", "uuid": str(uuid.UUID(int=1)), "slug": "no-such-thing"}


def _request_path(url: Url) -> str | None:
    kwargs = {
        name: _SAMPLE.get(type(conv).__name__.replace("Converter", "").lower(), "NO-SUCH-1")
        for name, conv in url.converters.items()
    }
    try:
        return reverse(url.name, kwargs=kwargs)
    except NoReverseMatch:  # regex patterns without converters; none are marked today
        return None


MARKED = [
    u
    for u in URLS
    if u.name and (m := audit_marker_for(u.callback)) is not None and not m.exempt and not m.admin
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", MARKED, ids=[u.name for u in MARKED])
def test_requesting_a_marked_view_writes_an_event(url, supervisor):
    path = _request_path(url)
    if path is None:
        pytest.fail(f"cannot build a URL for {url}; teach _request_path its converter")

    response = verified_client(supervisor).get(path)

    status = response.status_code
    assert status < 500, f"{url} answered {status}"
    events = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    if 200 <= status < 300:
        assert events.exists(), f"{url} answered {status} and wrote no access event"
    elif status in (403, 404):
        assert events.filter(outcome="denied").exists(), f"{url} denied without logging"
    # 3xx (a redirect to a canonical page) and 405 (POST-only) show nothing


@pytest.mark.django_db
def test_admin_model_pages_are_logged(admin_user):
    from portal.accounts.models import Team

    team = Team.objects.get(is_default=True)
    client = verified_client(admin_user)

    listing = client.get(reverse("admin:accounts_team_changelist"))
    detail = client.get(reverse("admin:accounts_team_change", args=[team.pk]))

    assert listing.status_code == detail.status_code == 200
    [listed] = AccessEvent.objects.filter(request_id=listing["X-Request-ID"])
    [viewed] = AccessEvent.objects.filter(request_id=detail["X-Request-ID"])
    assert (listed.action, listed.object_type) == ("list", "accounts.team")
    assert (viewed.action, viewed.object_type, viewed.object_id) == (
        "view",
        "accounts.team",
        str(team.pk),
    )
