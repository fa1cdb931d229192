from django.apps import AppConfig


class LoopConfig(AppConfig):
    name = "traction.loop"
    label = "loop"
    verbose_name = "Closing the loop"

    def ready(self) -> None:
        from traction.core.permissions import registry

        from . import registrations, rules

        registry.register(rules.RULES)
        registrations.register_all()
