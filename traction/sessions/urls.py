from django.urls import path

from . import views

app_name = "sessions"

S = "<int:session_id>/"
R = "outreach/<int:request_id>/"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("new/", views.session_create, name="create"),
    path("approvals/", views.approvals, name="approvals"),
    path(S, views.session_detail, name="detail"),
    path(S + "edit/", views.session_edit, name="edit"),
    path(S + "cancel/", views.session_cancel, name="cancel"),
    path(S + "agenda/", views.agenda_edit, name="agenda"),
    path(S + "practice/", views.practice_link, name="practice"),
    path(S + "outreach/new/", views.outreach_new, name="outreach_new"),
    path(S + "invitations/send/", views.invitations_send_all, name="invitations_send_all"),
    path(S + "participants/", views.participants, name="participants"),
    path(
        S + "participants/<int:participant_id>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path(
        S + "participants/<int:participant_id>/attendance/",
        views.practice_attendance,
        name="practice_attendance",
    ),
    path(S + "briefing/", views.briefing, name="briefing"),
    path(S + "briefing/ack/", views.briefing_ack, name="briefing_ack"),
    path(S + "questions/", views.questions, name="questions"),
    path(S + "questions/pick/", views.questions_pick, name="questions_pick"),
    path("questions/<int:question_id>/vote/", views.question_vote, name="question_vote"),
    path(R, views.outreach_detail, name="outreach_detail"),
    path(R + "decide/", views.outreach_decide, name="outreach_decide"),
    path(R + "waive/", views.outreach_waive, name="outreach_waive"),
    path(R + "invite/", views.invitation_send, name="invitation_send"),
]
