"""The officer portal and the public officer pages: ``/officer/``."""

from django.urls import path

from portal.officers import views

app_name = "officer"

urlpatterns = [
    path("", views.requests_view, name="requests"),
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("apply/", views.apply_view, name="apply"),
    path("apply/done/", views.apply_done_view, name="apply_done"),
    path("enrol/<str:token>/", views.enrol_view, name="enrol"),
]
