"""Staff web UI of cases. Case URLs carry the human reference (``LR-2026-000123``)."""

from django.urls import path

from cases.views import case, files, intake, queue

app_name = "cases"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("new/", intake.intake, name="intake"),
    path("<str:reference>/", case.case_detail, name="detail"),
    path("<str:reference>/transition/", case.transition, name="transition"),
    path("<str:reference>/assign/", case.assign, name="assign"),
    path("<str:reference>/notes/", case.note_create, name="note_add"),
    path("<str:reference>/attachments/", case.attachment_create, name="attachment_add"),
    path(
        "<str:reference>/attachments/<int:pk>/",
        files.attachment_download,
        name="attachment_download",
    ),
    path(
        "<str:reference>/process/<int:pk>/document/",
        files.process_document,
        name="process_document",
    ),
    path("<str:reference>/user-notice/", case.user_notice, name="user_notice"),
    path("<str:reference>/team/", case.team_change, name="team_change"),
    path(
        "<str:reference>/deadlines/<int:pk>/override/",
        case.deadline_override_view,
        name="deadline_override",
    ),
    path(
        "<str:reference>/preservations/<int:pk>/extend/",
        case.preservation_extend_view,
        name="preservation_extend",
    ),
    path(
        "<str:reference>/preservations/<int:pk>/release/",
        case.preservation_release_view,
        name="preservation_release",
    ),
]
