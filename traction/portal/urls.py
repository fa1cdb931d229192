"""The portal's routes: the customer's pages at the site root (outside any workspace, like
the RSVP and the ballot) and the members' actions on a contact's links in the workspace."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/in/<str:portal_token>/", views.open_link, name="open"),
    path("portal/sessions/<int:session_id>/", views.session_detail, name="session"),
    path("portal/sign-in/", views.sign_in, name="sign_in"),
    path("portal/sign-out/", views.sign_out, name="sign_out"),
    path("portal/signed-out/", views.signed_out, name="signed_out"),
    path(
        "w/<slug:workspace_slug>/portal/contacts/<int:contact_id>/send/",
        views.send_link,
        name="send",
    ),
    path(
        "w/<slug:workspace_slug>/portal/links/<int:link_id>/revoke/",
        views.revoke_link,
        name="revoke",
    ),
]
