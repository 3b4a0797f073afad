"""The staff pages of known-image matching (``/matching/``) and the match API route."""

from django.urls import path

from reports.matching import api, views

app_name = "matching"

urlpatterns = [
    path("", views.hash_lists, name="lists"),
    path("lists/<slug:name>/", views.hash_list_detail, name="list"),
    path("lists/<slug:name>/export.<str:fmt>", views.hash_list_download, name="export"),
    path("imports/<int:job_id>/progress", views.import_progress, name="import-progress"),
    path("items/<int:item_id>/review", views.item_review_view, name="item-review"),
]

api_urlpatterns = [
    path("match/", api.MatchView.as_view(), name="match"),
]
