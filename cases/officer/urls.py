"""The officer portal's request pages. ``portal/urls.py`` mounts them at ``/officer/`` in the
``officer`` namespace together with the portal's own officer pages (tokens, enrolment), so
``officer:requests`` (the navigation's "My requests") is the agency's request list."""

from django.urls import path

from cases.officer import views

urlpatterns = [
    path("", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<str:reference>/", views.request_detail, name="request"),
    path(
        "requests/<str:reference>/preservations/<int:pk>/extend/",
        views.preservation_extend_view,
        name="preservation_extend",
    ),
    path("requests/<str:reference>/withdraw/", views.request_withdraw, name="request_withdraw"),
]
