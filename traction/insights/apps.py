from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "traction.insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from traction.core import sections
        from traction.core.permissions import registry

        from . import rules, selectors

        registry.register(rules.RULES)
        sections.register(
            "session",
            "capture",
            template="insights/includes/session_capture.html",
            action="insight.view",
            context=selectors.session_summary,
        )
