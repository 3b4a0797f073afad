from django.urls import path

from portal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.events_view, name="events"),
    path("export.csv", views.events_export_view, name="export"),
]
