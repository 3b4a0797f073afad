"""Review UI of CyberTipline reports, under /cybertip/ (case URLs carry the reference)."""

from django.urls import path

from reports.cybertip import views

app_name = "cybertip"

urlpatterns = [
    path("attention/", views.attention, name="attention"),
    path("<str:reference>/new/", views.report_new, name="new"),
    path("<str:reference>/<int:pk>/", views.report_detail, name="report"),
    path("<str:reference>/<int:pk>/submit/", views.report_submit, name="submit"),
    path("<str:reference>/<int:pk>/retract/", views.report_retract, name="retract"),
    path("<str:reference>/<int:pk>/files/", views.file_add, name="file_add"),
    path(
        "<str:reference>/<int:pk>/files/<int:file_pk>/reveal/",
        views.file_reveal,
        name="file_reveal",
    ),
    path("<str:reference>/<int:pk>/files/<int:file_pk>/", views.file_content, name="file_content"),
    path("<str:reference>/<int:pk>/referrals/", views.referral_create, name="referral_create"),
    path(
        "<str:reference>/<int:pk>/referrals/<int:referral_pk>/approve/",
        views.referral_approve_view,
        name="referral_approve",
    ),
    path(
        "<str:reference>/<int:pk>/files/<int:file_pk>/classify/",
        views.file_classify,
        name="file_classify",
    ),
]
