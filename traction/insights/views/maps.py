"""Web pages: maps."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
