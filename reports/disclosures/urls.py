"""Disclosure URLs on the three surfaces (mounted at the root by ``portal/urls.py``):
the staff case page, the officer portal, and the API (``/api/v1/``)."""

from django.urls import path

from reports.disclosures import api, views

app_name = "disclosures"

urlpatterns = [
    path("cases/<str:reference>/disclosures/", views.create, name="create"),
    path("cases/<str:reference>/disclosures/<int:pk>/files/", views.file_add, name="file_add"),
    path("cases/<str:reference>/disclosures/<int:pk>/submit/", views.submit, name="submit"),
    path("cases/<str:reference>/disclosures/<int:pk>/release/", views.release, name="release"),
    path("cases/<str:reference>/disclosures/<int:pk>/return/", views.send_back, name="return"),
    path("cases/<str:reference>/disclosures/<int:pk>/render/", views.render_again, name="render"),
    path("cases/<str:reference>/disclosures/<int:pk>/renew/", views.renew_link, name="renew"),
    path(
        "cases/<str:reference>/disclosures/<int:pk>/<str:what>/",
        views.staff_download,
        name="staff_download",
    ),
    path(
        "officer/requests/<str:reference>/productions/<int:pk>/download/<str:token>/",
        views.officer_download,
        name="officer_download",
    ),
    path("disclosures/verify/", views.verify_page, name="verify"),
    path(
        "api/v1/requests/<str:reference>/productions/",
        api.ProductionsApi.as_view(),
        name="api_list",
    ),
    path(
        "api/v1/requests/<str:reference>/productions/<int:pk>/download/<str:token>/",
        api.ProductionDownloadApi.as_view(),
        name="api_download",
    ),
    path("api/v1/verify/", api.VerifyApi.as_view(), name="api_verify"),
]
