"""The conversation's URLs, on the three surfaces of a request: the staff case page, the
officer portal and the API (mounted at the root by ``portal/urls.py``)."""

from django.urls import path

from cases.conversation import api, views

app_name = "conversation"

urlpatterns = [
    path("cases/<str:reference>/messages/", views.staff_post, name="staff_post"),
    path(
        "cases/<str:reference>/messages/files/<int:pk>/",
        views.staff_file,
        name="staff_file",
    ),
    path(
        "officer/requests/<str:reference>/messages/",
        views.officer_post,
        name="officer_post",
    ),
    path(
        "officer/requests/<str:reference>/messages/files/<int:pk>/",
        views.officer_file,
        name="officer_file",
    ),
    path(
        "api/v1/requests/<str:reference>/messages/",
        api.RequestMessagesApi.as_view(),
        name="api_thread",
    ),
    path(
        "api/v1/requests/<str:reference>/messages/files/<int:pk>/",
        api.RequestMessageFileApi.as_view(),
        name="api_file",
    ),
]
