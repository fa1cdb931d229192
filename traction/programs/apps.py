from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "traction.programs"
    label = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from traction.core.permissions import registry

        from . import rules

        registry.register(rules.RULES)
