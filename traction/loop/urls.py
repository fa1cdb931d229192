from django.urls import path

from . import plan_views, update_views, views

app_name = "loop"

urlpatterns = [
    path("programs/<int:program_id>/priorities/", views.priorities, name="priorities"),
    path("programs/<int:program_id>/priorities/propose/", views.propose, name="propose"),
    path("approvals/<int:approval_id>/approve/", views.approve, name="approve"),
    path("approvals/<int:approval_id>/waive/", views.waive, name="waive"),
    path(
        "approvals/<int:approval_id>/send-again/",
        views.approval_send_again,
        name="approval-send-again",
    ),
    path(
        "approvals/link/<str:status_approval_token>/",
        views.status_approval_link,
        name="status-approval-link",
    ),
    path("programs/<int:program_id>/deliveries/", views.deliveries, name="deliveries"),
    path("programs/<int:program_id>/deliveries/new/", views.delivery_new, name="delivery_new"),
    path(
        "programs/<int:program_id>/deliveries/import/",
        views.deliveries_import,
        name="deliveries_import",
    ),
    path("reasons/", views.reasons, name="reasons"),
    # --- the communication plan (area PLAN) ---
    path("programs/<int:program_id>/plan/", plan_views.plan_page, name="plan"),
    path("programs/<int:program_id>/plan/edit/", plan_views.plan_edit, name="plan_edit"),
    # "You said, we did" updates (area UPD)
    path("programs/<int:program_id>/updates/", update_views.updates, name="updates"),
    path("programs/<int:program_id>/updates/new/", update_views.update_new, name="update-new"),
    path("updates/<int:update_id>/", update_views.update, name="update"),
    path("updates/<int:update_id>/edit/", update_views.update_edit, name="update-edit"),
    path("updates/<int:update_id>/submit/", update_views.update_submit, name="update-submit"),
    path("updates/<int:update_id>/send/", update_views.update_send, name="update-send"),
    path("updates/<int:update_id>/discard/", update_views.update_discard, name="update-discard"),
    path(
        "update-approvals/<int:update_approval_id>/approve/",
        update_views.update_approve,
        name="update-approve",
    ),
    path(
        "update-approvals/<int:update_approval_id>/request-changes/",
        update_views.update_request_changes,
        name="update-request-changes",
    ),
    path(
        "update-approvals/<int:update_approval_id>/waive/",
        update_views.update_waive,
        name="update-waive",
    ),
    path(
        "update-approvals/<int:update_approval_id>/send-again/",
        update_views.update_approval_send_again,
        name="update-approval-send-again",
    ),
    path(
        "update-approvals/link/<str:approval_token>/",
        update_views.update_approval_link,
        name="update-approval-link",
    ),
]

# --- MAIL: delivery of updates, a contact's subscriptions (loop/mail_views.py) ---
from . import mail_views  # noqa: E402

urlpatterns += [
    path("updates/<int:update_id>/mail/retry/", mail_views.retry_failed, name="mail-retry"),
    path("messages/<int:recipient_id>/resend/", mail_views.resend, name="mail-resend"),
    path(
        "contacts/<int:contact_id>/unsubscribe/",
        mail_views.contact_unsubscribe,
        name="contact-unsubscribe",
    ),
    path("contacts/<int:contact_id>/follow/", mail_views.contact_follow, name="contact-follow"),
    path(
        "contacts/<int:contact_id>/unfollow/<int:priority_id>/",
        mail_views.contact_unfollow,
        name="contact-unfollow",
    ),
    path(
        "contacts/<int:contact_id>/unreachable/",
        mail_views.contact_unreachable,
        name="contact-unreachable",
    ),
    path(
        "contacts/<int:contact_id>/reachable/",
        mail_views.contact_reachable,
        name="contact-reachable",
    ),
]

# --- MAIL2: the workspace's bounce URL (loop/bounce_views.py) ---
from . import bounce_views  # noqa: E402

urlpatterns += [
    path("mail/bounce-url/", bounce_views.rotate, name="bounce-url"),
    path("mail/bounce-topic/reset/", bounce_views.reset_topic, name="bounce-topic-reset"),
    path("mail/bounce-keys/<str:provider>/", bounce_views.key, name="bounce-key"),
    path(
        "mail/bounce-keys/<str:provider>/remove/",
        bounce_views.key_remove,
        name="bounce-key-remove",
    ),
]
