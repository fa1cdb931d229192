"""Webhook endpoints carry the workspace's events to other tools: only admins see or manage them."""

from traction.core.permissions import ALL, rule

RULES = [
    rule(
        "webhook.view",
        description="See the workspace's webhook endpoints and their deliveries.",
        admin=ALL,
    ),
    rule(
        "webhook.manage",
        description=(
            "Register, change, disable and archive webhook endpoints, rotate their signing "
            "secrets, send test events and redeliver."
        ),
        admin=ALL,
    ),
]
