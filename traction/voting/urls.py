"""The voting pages. The facilitator's pages and the ranking sit under the session's
insights pages, where they were before voting had its own app (same paths); the customer's
own ballot sits at the site root, outside any workspace (``vote/<token>/``)."""

from django.urls import path

from . import views

app_name = "voting"

S = "w/<slug:workspace_slug>/insights/sessions/<int:session_id>/"

urlpatterns = [
    path(S + "voting/", views.voting_manage, name="manage"),
    path(S + "voting/open/", views.voting_open, name="open"),
    path(S + "voting/budget/", views.voting_budget, name="budget"),
    path(S + "voting/close/", views.voting_close, name="close"),
    path(S + "voting/reopen/", views.voting_reopen, name="reopen"),
    path(S + "voting/remove-dots/", views.voting_remove_dots, name="remove_dots"),
    path(S + "voting/links/email/", views.voting_links_email, name="links_email"),
    path(S + "voting/room/", views.voting_room, name="room"),
    path(S + "voting/room/dot/", views.voting_room_dot, name="room_dot"),
    path(S + "voting/room/totals/", views.voting_room_totals, name="room_totals"),
    path(S + "voting/paper/", views.voting_paper, name="paper"),
    path(S + "results/", views.results, name="results"),
    path(S + "results/export/", views.results_export, name="results_export"),
    path("vote/<str:vote_token>/", views.vote, name="ballot"),
    path("vote/<str:vote_token>/logo", views.ballot_logo, name="ballot_logo"),
]
