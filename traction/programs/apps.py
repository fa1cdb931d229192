from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "traction.programs"
    label = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from traction.core import dashboard, events, navigation, permissions, sections
        from traction.core.permissions import registry

        from . import rules, selectors, services

        registry.register(rules.RULES)
        events.subscribe("member.removed", services.leave_programs)
        dashboard.register(
            "programs",
            action="program.view",
            count=lambda viewer: selectors.programs(viewer).count(),
            label="program",
            url_name="programs:list",
            order=10,
        )
        sections.register(
            "home",
            "programs",
            template="programs/includes/home_steps.html",
            action="program.view",
            order=10,
            context=lambda viewer, home: {
                "workspace_slug": home.workspace_slug,
                "count": home.counts.get("programs"),
                "can_create": permissions.allows(viewer, "program.create"),
            },
        )
        sections.register(
            "home-overview",
            "sponsored",
            template="programs/includes/home_sponsored.html",
            action="program.view",
            order=10,
            context=lambda viewer, home: {
                "programs": list(selectors.sponsored_programs(viewer)),
            },
        )
        navigation.register(
            "programs",
            label="Programs",
            url_name="programs:list",
            action="program.view",
            order=20,
            current=["programs:*"],
        )
