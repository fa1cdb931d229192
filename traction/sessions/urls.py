from django.urls import path

from . import views

app_name = "sessions"

urlpatterns = [
    path("outreach/<int:request_id>/", views.outreach_detail, name="outreach_detail"),
    path("<int:session_id>/briefing/", views.briefing, name="briefing"),
]
