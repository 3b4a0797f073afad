"""Staff pages about officers and agencies: ``/officers/``."""

from django.urls import path

from portal.officers import staff_views as views

app_name = "officers"

urlpatterns = [
    path("", views.officer_list_view, name="list"),
    path("<int:pk>/", views.officer_detail_view, name="detail"),
    path("<int:pk>/approve/", views.officer_approve_view, name="approve"),
    path("<int:pk>/reject/", views.officer_reject_view, name="reject"),
    path("<int:pk>/suspend/", views.officer_suspend_view, name="suspend"),
    path("<int:pk>/reinstate/", views.officer_reinstate_view, name="reinstate"),
    path("<int:pk>/enrolment-link/", views.officer_enrolment_link_view, name="enrolment_link"),
    path(
        "<int:pk>/tokens/<int:token_pk>/revoke/",
        views.officer_token_revoke_view,
        name="token_revoke",
    ),
    path("agencies/<int:pk>/", views.agency_detail_view, name="agency"),
    path("agencies/<int:pk>/suspend/", views.agency_suspend_view, name="agency_suspend"),
    path("agencies/<int:pk>/reinstate/", views.agency_reinstate_view, name="agency_reinstate"),
]
