from .views import gatekeeping, invitations, participants, questions, sessions

app_name = "sessions"

urlpatterns = [
    *sessions.urlpatterns,
    *gatekeeping.urlpatterns,
    *invitations.urlpatterns,
    *participants.urlpatterns,
    *questions.urlpatterns,
]
