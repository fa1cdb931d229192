from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "traction.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        from traction.core import sections
        from traction.core.permissions import registry

        from . import behalf, panels, rules, selectors

        registry.register(rules.RULES)
        # The customers app's contact page shows the contact's portal links (it never
        # imports the portal: tests/test_layers.py).
        sections.register(
            "contact",
            "portal-links",
            template="portal/contact_section.html",
            action="portal_link.view",
            context=selectors.contact_section,
        )
        sections.register(
            "contact",
            "on-behalf",
            template="portal/contact_behalf.html",
            action="behalf.view",
            context=behalf.contact_section,
            order=110,
        )
        panels.register_builtin()
        panels.register_loop()
