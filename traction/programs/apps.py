from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "traction.programs"
    label = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from traction.core import dashboard, events
        from traction.core.permissions import registry

        from . import rules, selectors, services

        registry.register(rules.RULES)
        events.subscribe("member.removed", services.leave_programs)
        dashboard.register(
            "programs",
            action="program.view",
            count=lambda viewer: selectors.programs(viewer).count(),
        )
