from django.urls import path

from reports.transparency import views

app_name = "transparency"

urlpatterns = [
    path("", views.report, name="report"),
    path("generate/", views.generate, name="generate"),
    path("reports/<int:pk>/", views.frozen, name="frozen"),
    path("reports/<int:pk>/publish/", views.publish, name="publish"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
