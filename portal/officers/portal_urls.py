"""The officer portal and the public officer pages: ``/officer/``.

``portal/urls.py`` mounts these in the ``officer`` namespace together with the request pages
of the cases app (``cases.officer.urls``), which own the landing page ``officer:requests``:
the platform knows no cases, the project's URL map joins the two.
"""

from django.urls import path

from portal.officers import views

app_name = "officer"

urlpatterns = [
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("apply/", views.apply_view, name="apply"),
    path("apply/done/", views.apply_done_view, name="apply_done"),
    path("enrol/<str:token>/", views.enrol_view, name="enrol"),
]
