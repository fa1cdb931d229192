from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "traction.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from traction.core import dashboard, events, navigation, sections
        from traction.core.permissions import registry

        from . import rules, selectors, services

        registry.register(rules.RULES)
        events.subscribe("member.removed", services.release_ownerships)
        dashboard.register(
            "customers",
            action="customer.view",
            count=lambda viewer: selectors.customers(viewer).count(),
            label="customer",
            url_name="customers:list",
            order=20,
        )
        sections.register(
            "home",
            "customers",
            template="customers/includes/home_steps.html",
            action="customer.create",
            order=20,
            context=lambda viewer, home: {
                "workspace_slug": home.workspace_slug,
                "count": home.counts.get("customers"),
            },
        )
        navigation.register(
            "customers",
            label="Customers",
            url_name="customers:list",
            action="customer.view",
            order=50,
            current=["customers:*"],
        )
