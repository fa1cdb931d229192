from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "traction.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from traction.core import navigation, periodic
        from traction.core.permissions import registry

        from . import delivery, events, rules

        registry.register(rules.RULES)
        events.register(
            events.TEST_EVENT,
            description="A test event an admin sends to check an endpoint (no change happened).",
            version=1,
            example={"message": "A test event from Traction."},
        )
        # `traction remind` (cron) sends what is due too, should no worker be running.
        periodic.register(
            "webhooks.deliver",
            delivery.deliver_due_job,
            description="Send the webhook deliveries that are due (first attempts and retries).",
            order=90,
        )
        navigation.register(
            "webhooks",
            label="Webhooks",
            url_name="webhooks:list",
            action="webhook.view",
            order=85,
            current=["webhooks:*"],
        )
