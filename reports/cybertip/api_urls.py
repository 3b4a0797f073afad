"""``/api/v1/referrals/`` (mounted by ``portal/urls.py`` under ``api/v1/``)."""

from django.urls import path

from reports.cybertip import api

app_name = "cybertip_api"

urlpatterns = [path("referrals/", api.ReferralsApi.as_view(), name="referrals")]
