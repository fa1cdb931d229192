"""The portal's routes: the customer's pages at the site root (outside any workspace, like
the RSVP and the ballot) and the members' actions on a contact's links in the workspace."""

from django.urls import path

from . import loop_views, views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/in/<str:portal_token>/", views.open_link, name="open"),
    path("portal/sessions/<int:session_id>/", views.session_detail, name="session"),
    # Updates sent to the contact, and following priorities (loop_views.py)
    path("portal/updates/<int:update_id>/", loop_views.portal_update, name="update"),
    path("portal/updates/<int:update_id>/reply/", loop_views.portal_reply, name="update_reply"),
    path(
        "portal/updates/<int:update_id>/feedback/",
        loop_views.portal_feedback,
        name="update_feedback",
    ),
    path("portal/priorities/<int:priority_id>/follow/", loop_views.portal_follow, name="follow"),
    path(
        "portal/priorities/<int:priority_id>/unfollow/",
        loop_views.portal_unfollow,
        name="unfollow",
    ),
    # What members entered for the contact (behalf.py), and withdrawing it
    path(
        "portal/entered/votes/<int:vote_id>/withdraw/",
        views.withdraw_vote,
        name="withdraw_vote",
    ),
    path(
        "portal/entered/insights/<int:insight_id>/withdraw/",
        views.withdraw_insight,
        name="withdraw_insight",
    ),
    path("portal/sign-in/", views.sign_in, name="sign_in"),
    path("portal/sign-out/", views.sign_out, name="sign_out"),
    path("portal/signed-out/", views.signed_out, name="signed_out"),
    path(
        "w/<slug:workspace_slug>/portal/contacts/<int:contact_id>/send/",
        views.send_link,
        name="send",
    ),
    path(
        "w/<slug:workspace_slug>/portal/on-behalf/votes/<int:vote_id>/withdraw/",
        views.withdraw_vote_for_contact,
        name="withdraw_vote_for_contact",
    ),
    path(
        "w/<slug:workspace_slug>/portal/on-behalf/insights/<int:insight_id>/withdraw/",
        views.withdraw_insight_for_contact,
        name="withdraw_insight_for_contact",
    ),
    path(
        "w/<slug:workspace_slug>/portal/links/<int:link_id>/revoke/",
        views.revoke_link,
        name="revoke",
    ),
]
