"""The app's routes plus the hand-written baseline the API is measured against."""

from django.urls import path

from traction.urls import handler403, handler404
from traction.urls import urlpatterns as app_urlpatterns

from .views import raw_customers

urlpatterns = [
    path("bench/raw/customers", raw_customers, name="bench-raw-customers"),
    *app_urlpatterns,
]

__all__ = ["handler403", "handler404", "urlpatterns"]
