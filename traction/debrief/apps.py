from django.apps import AppConfig


class DebriefConfig(AppConfig):
    name = "traction.debrief"
    label = "debrief"
    verbose_name = "Operational Debrief"

    def ready(self) -> None:
        from traction.core.permissions import registry
        from traction.webhooks import events as webhook_events
        from traction.webhooks.services import publish

        from . import outbound, registrations, rules

        registry.register(rules.RULES)
        registrations.register_all()
        # What the debrief announces goes out as signed webhooks (docs/webhooks.md).
        for name, description in outbound.EVENTS.items():
            webhook_events.register(name, description=description, version=1)
        outbound.connect(publish)
