from django.apps import AppConfig


class DebriefConfig(AppConfig):
    name = "traction.debrief"
    label = "debrief"
    verbose_name = "Operational Debrief"

    def ready(self) -> None:
        from traction.core.permissions import registry

        from . import registrations, rules

        registry.register(rules.RULES)
        registrations.register_all()
