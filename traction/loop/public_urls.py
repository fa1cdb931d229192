"""The loop's routes outside any workspace (mounted at the site root, like the portal's): an
update email's signed links and the portal's update pages and follow buttons."""

from django.urls import path

from . import portal_views

app_name = "loop_public"

urlpatterns = [
    path("mail/unsubscribe/<str:token>/", portal_views.unsubscribe, name="unsubscribe"),
    path(
        "mail/unsubscribe/<str:token>/one-click/",
        portal_views.unsubscribe_one_click,
        name="unsubscribe_one_click",
    ),
    path("mail/feedback/<str:token>/", portal_views.feedback, name="feedback"),
    path("portal/updates/<int:update_id>/", portal_views.portal_update, name="portal_update"),
    path("portal/updates/<int:update_id>/reply/", portal_views.portal_reply, name="portal_reply"),
    path(
        "portal/updates/<int:update_id>/feedback/",
        portal_views.portal_feedback,
        name="portal_feedback",
    ),
    path(
        "portal/priorities/<int:priority_id>/follow/",
        portal_views.portal_follow,
        name="portal_follow",
    ),
    path(
        "portal/priorities/<int:priority_id>/unfollow/",
        portal_views.portal_unfollow,
        name="portal_unfollow",
    ),
]
