"""The loop's routes outside any workspace (mounted at the site root, like the RSVP): an
update email's signed links. The portal's update pages are the portal's routes."""

from django.urls import path

from . import bounce_views, link_views

app_name = "loop_public"

urlpatterns = [
    path("mail/unsubscribe/<str:token>/", link_views.unsubscribe, name="unsubscribe"),
    path(
        "mail/unsubscribe/<str:token>/one-click/",
        link_views.unsubscribe_one_click,
        name="unsubscribe_one_click",
    ),
    path("mail/feedback/<str:token>/", link_views.feedback, name="feedback"),
    # a mail provider's bounce and complaint webhooks (the secret is the credential)
    path("hooks/mail/<str:provider>/<str:secret>/", bounce_views.hook, name="bounce_hook"),
]
