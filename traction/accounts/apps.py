from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "traction.accounts"
    label = "accounts"
    verbose_name = "Accounts and workspaces"

    def ready(self) -> None:
        from traction.core import navigation, periodic, sections, web
        from traction.core.permissions import registry

        from . import rules, selectors, services

        registry.register(rules.RULES)
        periodic.register(
            "accounts.token_expiry",
            services.warn_expiring_api_tokens,
            description="Tell owners of API tokens that expire within 7 days (a notice, and an "
            "email unless they turned it off in their settings; once per token).",
            order=90,
        )
        web.register_workspace_resolver(selectors.viewer_for)
        navigation.register(
            "members",
            label="Members",
            url_name="accounts:members",
            action="member.view",
            order=80,
            current=["accounts:members", "accounts:member_invite", "accounts:member_remove"],
        )
        navigation.register(
            "audit",
            label="Audit",
            url_name="accounts:audit_log",
            action="audit.view",
            order=90,
            current=["accounts:audit_log"],
        )
        navigation.register(
            "settings",
            label="Settings",
            url_name="accounts:workspace_settings",
            action="workspace.configure",
            order=95,
            current=["accounts:workspace_settings"],
        )
        sections.register(
            "home",
            "members",
            template="accounts/includes/home_members.html",
            action="member.manage",
            order=30,
            context=lambda viewer, home: {"workspace_slug": home.workspace_slug},
        )
        sections.register(
            "home-overview",
            "waiting",
            template="accounts/includes/home_waiting.html",
            action="workspace.view",
            order=5,
            context=lambda viewer, home: {
                "workspace_slug": home.workspace_slug,
                "notices": list(selectors.notices(viewer, unread=True)[:5]),
                "count": selectors.notices(viewer, unread=True).count(),
            },
        )
