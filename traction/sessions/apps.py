from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "traction.sessions"
    # Django's own sessions app owns the label "sessions".
    label = "cosessions"
    verbose_name = "Sessions"

    def ready(self) -> None:
        from traction.core import dashboard, events, navigation, periodic, permissions, sections
        from traction.core.permissions import registry

        from . import records, rules, selectors
        from .services import history
        from .views import rsvp_emails

        registry.register(rules.RULES)
        records.register("sessions.practice", records.practice_attendance)
        navigation.register(
            "sessions",
            label="Sessions",
            url_name="sessions:list",
            action="session.view",
            order=30,
            current=["sessions:*"],
        )
        # The outreach pages an owner reaches from Approvals mark Approvals, not Sessions.
        navigation.register(
            "approvals",
            label="Approvals",
            url_name="sessions:approvals",
            action="outreach.decide",
            order=60,
            current=[
                "sessions:approvals",
                "sessions:approvals_decide",
                "sessions:outreach_detail",
                "sessions:outreach_decide",
                "sessions:outreach_waive",
                "sessions:outreach_withdraw",
            ],
            badge="pending_approvals",
            badge_label="waiting",
            optional=True,
            pinned_by="outreach.inbox",
        )
        periodic.register(
            "sessions.rsvp_daily",
            _rsvp_daily,
            description="Flag unanswered invitations; send the day's RSVP digests.",
            order=10,
        )
        events.subscribe("customer.owner_changed", history.move_pending_outreach)
        events.subscribe("member.removed", history.leave_sessions)
        events.subscribe("contact.erased", history.redact_erased_contact)
        events.subscribe("contact.consent_withdrawn", history.consent_withdrawn)
        dashboard.register(
            "pending_approvals",
            action="outreach.decide",
            rows=selectors.waiting_for,
        )
        sections.register(
            "home",
            "sessions",
            template="sessions/includes/home_steps.html",
            action="session.view",
            order=40,
            context=lambda viewer, home: {
                "workspace_slug": home.workspace_slug,
                "pending": home.counts.get("pending_approvals"),
                "programs": home.counts.get("programs"),
                "can_plan": permissions.allows(viewer, "session.plan"),
            },
        )
        sections.register(
            "home-overview",
            "sponsored_sessions",
            template="sessions/includes/home_sponsored_sessions.html",
            action="session.view",
            order=20,
            context=lambda viewer, home: selectors.sponsored_sessions(viewer),
        )
        sections.register(
            "settings",
            "rsvp_emails",
            template="sessions/includes/rsvp_emails_setting.html",
            action="rsvp_emails.choose",
            order=20,
            context=lambda viewer, _: rsvp_emails.settings_context(viewer),
        )
        sections.register(
            "program",
            "sessions",
            template="sessions/includes/program_sessions.html",
            action="session.view",
            context=lambda viewer, program: {
                "program": program,
                **selectors.upcoming_with_readiness(viewer, program.pk),
                "can_plan": permissions.allows(viewer, "session.plan"),
            },
        )


def _rsvp_daily() -> dict[str, int]:
    """The periodic RSVP work (``traction remind``, ``traction sessions remind``)."""
    from .tasks import rsvp_daily

    done: dict[str, int] = rsvp_daily.call()
    return done
