from .views import (
    gatekeeping,
    invitation_email,
    invitations,
    participants,
    questions,
    rsvp_emails,
    sessions,
)

app_name = "sessions"

urlpatterns = [
    *sessions.urlpatterns,
    *gatekeeping.urlpatterns,
    *invitations.urlpatterns,
    *invitation_email.urlpatterns,
    *participants.urlpatterns,
    *questions.urlpatterns,
    *rsvp_emails.urlpatterns,
]
