"""Staff web UI of cases. Case URLs carry the human reference (``LR-2026-000123``)."""

from django.urls import path

from cases.views import actions, case, files, intake, queue

app_name = "cases"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("new/", intake.intake, name="intake"),
    path("<str:reference>/", case.case_detail, name="detail"),
    path("<str:reference>/transition/", actions.transition, name="transition"),
    path("<str:reference>/assign/", actions.assign, name="assign"),
    path("<str:reference>/notes/", actions.note_create, name="note_add"),
    path("<str:reference>/attachments/", actions.attachment_create, name="attachment_add"),
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
    path("<str:reference>/user-notice/", actions.user_notice, name="user_notice"),
    path("<str:reference>/team/", actions.team_change, name="team_change"),
    path(
        "<str:reference>/deadlines/<int:pk>/override/",
        actions.deadline_override_view,
        name="deadline_override",
    ),
    path(
        "<str:reference>/preservations/<int:pk>/extend/",
        actions.preservation_extend_view,
        name="preservation_extend",
    ),
    path(
        "<str:reference>/preservations/<int:pk>/release/",
        actions.preservation_release_view,
        name="preservation_release",
    ),
]
