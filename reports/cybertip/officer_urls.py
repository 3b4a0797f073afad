"""Officer portal pages of the CyberTipline app; ``portal/urls.py`` mounts them at
``/officer/`` in the ``officer`` namespace with the request and token pages."""

from django.urls import path

from reports.cybertip import officer_views

urlpatterns = [
    path("referrals/", officer_views.referral_list, name="referrals"),
    path("referrals/<int:pk>/", officer_views.referral_detail, name="referral"),
]
