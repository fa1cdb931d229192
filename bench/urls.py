"""The app's routes plus the hand-written baseline the API is measured against."""

from django.urls import path

from traction.urls import handler403, handler404
from traction.urls import urlpatterns as app_urlpatterns

from .views import layout, raw_customers, raw_debrief, raw_scorecard

urlpatterns = [
    path("bench/raw/customers", raw_customers, name="bench-raw-customers"),
    path("bench/raw/debrief", raw_debrief, name="bench-raw-debrief"),
    path("bench/raw/scorecard", raw_scorecard, name="bench-raw-scorecard"),
    path("w/<slug:workspace_slug>/bench/layout/", layout, name="bench-layout"),
    *app_urlpatterns,
]

__all__ = ["handler403", "handler404", "urlpatterns"]
