"""Top-level URL map. Each app brings its own ``urls`` module."""

from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from cases.officer import urls as officer_request_urls
from portal import health, languages, metrics, views
from portal.accounts import passkeys
from portal.accounts import views as account_views
from portal.notifications import views as notification_views
from portal.officers import portal_urls as officer_portal_urls
from reports.cybertip import officer_urls as cybertip_officer_urls
from reports.matching import urls as matching_urls

# The admin demands a verified second factor like everything else.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Liaison administration"

# Error pages in the portal's layout; problem+json under /api/ (portal.errors).
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("healthz/celery", notification_views.celery_health, name="healthz-celery"),
    path("accounts/language/", languages.language_set, name="language_set"),
    path("accounts/", include("portal.accounts.urls")),
    # Our subclasses answer the four ceremony steps; the library serves its JS catalogue.
    path(
        "webauthn/authentication/begin/",
        passkeys.PasskeyAuthenticationBegin.as_view(),
        name="passkey-authentication-begin",
    ),
    path(
        "webauthn/registration/begin/",
        passkeys.PasskeyRegistrationBegin.as_view(),
        name="passkey-registration-begin",
    ),
    path(
        "webauthn/authentication/complete/",
        passkeys.PasskeyAuthenticationComplete.as_view(),
        name="passkey-authentication-complete",
    ),
    path(
        "webauthn/registration/complete/",
        passkeys.PasskeyRegistrationComplete.as_view(),
        name="passkey-registration-complete",
    ),
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("admin/login/", account_views.admin_login_view),  # sign-in goes through lockout
    path("admin/", admin.site.urls),
    path("cases/", include("cases.urls")),
    path("cybertip/", include("reports.cybertip.urls")),
    path("audit/", include("portal.audit.urls")),
    path("notifications/", include("portal.notifications.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("api/v1/", include("cases.api.urls")),  # requests/...; the domain's endpoints
    path("api/v1/", include("reports.cybertip.api_urls")),  # referrals/ (CyberTipline)
    path("api/v1/", include((matching_urls.api_urlpatterns, "matching-api"))),  # match/
    path("matching/", include("reports.matching.urls")),
    # One "officer" namespace: the request pages (cases), the portal's own (tokens,
    # enrolment) and the urgent referrals (CyberTipline).
    path(
        "officer/",
        include(
            (
                officer_request_urls.urlpatterns
                + officer_portal_urls.urlpatterns
                + cybertip_officer_urls.urlpatterns,
                "officer",
            )
        ),
    ),
    path("officers/", include("portal.officers.urls")),
    path("transparency/", include("reports.transparency.urls")),
    path("", include("cases.conversation.urls")),  # a request's messages, on all three surfaces
    path("", include("reports.disclosures.urls")),  # productions, verify
]
