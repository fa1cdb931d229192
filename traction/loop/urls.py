from django.urls import path

from . import plan_views, views

app_name = "loop"

urlpatterns = [
    path("programs/<int:program_id>/priorities/", views.priorities, name="priorities"),
    path("programs/<int:program_id>/priorities/propose/", views.propose, name="propose"),
    path("approvals/<int:approval_id>/approve/", views.approve, name="approve"),
    path("approvals/<int:approval_id>/waive/", views.waive, name="waive"),
    path("programs/<int:program_id>/deliveries/", views.deliveries, name="deliveries"),
    path("programs/<int:program_id>/deliveries/new/", views.delivery_new, name="delivery_new"),
    path(
        "programs/<int:program_id>/deliveries/import/",
        views.deliveries_import,
        name="deliveries_import",
    ),
    path("reasons/", views.reasons, name="reasons"),
    # --- the communication plan (area PLAN) ---
    path("programs/<int:program_id>/plan/", plan_views.plan_page, name="plan"),
    path("programs/<int:program_id>/plan/edit/", plan_views.plan_edit, name="plan_edit"),
]
