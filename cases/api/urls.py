"""``/api/v1/``: the request endpoints (mounted by ``portal/urls.py`` beside the platform's).

``<str:reference>`` takes any text so that an unknown or malformed reference reaches the
gate and answers a logged problem+json 404, like another agency's.
Reserved: ``requests/<reference>/productions/`` and ``verify/`` (disclosures work).
"""

from django.urls import path

from cases.api import check, collection, request

app_name = "requests_api"

urlpatterns = [
    path("requests/", collection.RequestsApi.as_view(), name="list"),
    path("requests/check/", check.RequestCheckApi.as_view(), name="check"),
    path("requests/<str:reference>/", request.RequestDetailApi.as_view(), name="detail"),
    path(
        "requests/<str:reference>/extend-preservation/",
        request.RequestExtendPreservationApi.as_view(),
        name="extend_preservation",
    ),
    path(
        "requests/<str:reference>/withdraw/",
        request.RequestWithdrawApi.as_view(),
        name="withdraw",
    ),
]
