from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "traction.insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from traction.core.permissions import registry

        from . import rules

        registry.register(rules.RULES)
