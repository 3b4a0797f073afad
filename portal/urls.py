"""Top-level URL map. Each app brings its own ``urls`` module."""

from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from portal import views

# The admin demands a verified second factor like everything else.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Liaison administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("portal.accounts.urls")),
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("admin/", admin.site.urls),
]
