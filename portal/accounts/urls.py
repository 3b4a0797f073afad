from django.urls import path

from portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("security/", views.security_view, name="security"),
    path("security/time-zone/", views.time_zone_view, name="time_zone"),
    path("security/confirm/", views.confirm_view, name="confirm"),
    path("security/backup-codes/", views.backup_codes_view, name="backup_codes"),
    path("security/tokens/revoke/", views.tokens_revoke_view, name="tokens_revoke"),
    path("logout/", views.logout_view, name="logout"),
]
