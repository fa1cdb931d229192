from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "traction.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from traction.core import navigation
        from traction.core.permissions import registry

        from . import events, rules

        registry.register(rules.RULES)
        events.register(
            events.TEST_EVENT,
            description="A test event an admin sends to check an endpoint (no change happened).",
            version=1,
            example={"message": "A test event from Traction."},
        )
        navigation.register(
            "webhooks",
            label="Webhooks",
            url_name="webhooks:list",
            action="webhook.view",
            order=85,
            current=["webhooks:*"],
        )
