from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "traction.sessions"
    # Django's own sessions app owns the label "sessions".
    label = "cosessions"
    verbose_name = "Sessions"

    def ready(self) -> None:
        from traction.core import dashboard, events, permissions, sections
        from traction.core.permissions import registry

        from . import rules, selectors
        from .services import history

        registry.register(rules.RULES)
        events.subscribe("customer.owner_changed", history.move_pending_outreach)
        events.subscribe("member.removed", history.leave_sessions)
        events.subscribe("contact.erased", history.redact_erased_contact)
        events.subscribe("contact.consent_withdrawn", history.consent_withdrawn)
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
