"""Web pages: imports."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
