from .views import gatekeeping, invitations, participants, questions, rsvp_emails, sessions

app_name = "sessions"

urlpatterns = [
    *sessions.urlpatterns,
    *gatekeeping.urlpatterns,
    *invitations.urlpatterns,
    *participants.urlpatterns,
    *questions.urlpatterns,
    *rsvp_emails.urlpatterns,
]
