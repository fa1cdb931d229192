from django.urls import path

from . import views, views_password

app_name = "accounts"

W = "w/<slug:workspace_slug>/"
WS = W + "workspace-settings/"  # the workspace's own settings (admins): name, zone, logo

urlpatterns = [
    path("", views.home, name="home"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/reset/", views_password.password_reset, name="password_reset"),
    path("password/reset/sent/", views_password.password_reset_done, name="password_reset_done"),
    path(
        "password/set/<str:secret>/",
        views_password.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/done/", views_password.password_reset_complete, name="password_reset_complete"),
    path("invitations/<str:secret>/", views.accept_invitation, name="accept_invitation"),
    path(W, views.workspace_home, name="workspace_home"),
    path(W + "members/", views.members, name="members"),
    path(W + "members/invite/", views.member_invite, name="member_invite"),
    path(W + "members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path(
        W + "members/<int:membership_id>/function/",
        views.member_function,
        name="member_function",
    ),
    path(W + "members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        W + "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(W + "audit/", views.audit_log, name="audit_log"),
    path(W + "notices/", views.notices, name="notices"),
    path(W + "notices/<int:notice_id>/open/", views.notice_open, name="notice_open"),
    path(W + "settings/", views.my_settings, name="settings"),
    path(W + "workspace-settings/", views.workspace_settings, name="workspace_settings"),
    path(W + "workspace-settings/logo/", views.workspace_logo_upload, name="workspace_logo_upload"),
    path(
        W + "workspace-settings/logo/remove/",
        views.workspace_logo_remove,
        name="workspace_logo_remove",
    ),
    path(W + "logo/", views.workspace_logo, name="workspace_logo"),
    path(W + "settings/tokens/", views.tokens, name="tokens"),
    path(W + "settings/token-emails/", views.token_emails, name="token_emails"),
    path(W + "settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path(W + "members/tokens/", views.workspace_tokens, name="workspace_tokens"),
    path(
        W + "members/tokens/<int:token_id>/revoke/",
        views.workspace_token_revoke,
        name="workspace_token_revoke",
    ),
]
