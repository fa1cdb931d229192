from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "traction.sessions"
    # Django's own sessions app owns the label "sessions".
    label = "cosessions"
    verbose_name = "Sessions"

    def ready(self) -> None:
        from traction.core import dashboard, permissions, sections
        from traction.core.permissions import registry

        from . import rules, selectors

        registry.register(rules.RULES)
        dashboard.register(
            "pending_approvals",
            action="outreach.decide",
            count=lambda viewer: selectors.outreach_requests(
                viewer, mine=True, status="pending"
            ).count(),
        )
        sections.register(
            "program",
            "sessions",
            template="sessions/includes/program_sessions.html",
            action="session.view",
            context=lambda viewer, program: {
                "program": program,
                "upcoming": selectors.upcoming_with_readiness(viewer, program.pk),
                "can_plan": permissions.allows(viewer, "session.plan"),
            },
        )
