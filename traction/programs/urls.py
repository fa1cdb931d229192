from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("<int:program_id>/", views.program_detail, name="detail"),
    path("<int:program_id>/edit/", views.program_edit, name="edit"),
    path("<int:program_id>/team/", views.program_team, name="team"),
    path("<int:program_id>/policy-makers/", views.policy_makers, name="policy_makers"),
    path(
        "<int:program_id>/policy-makers/<int:user_id>/remove/",
        views.policy_maker_remove,
        name="policy_maker_remove",
    ),
]
