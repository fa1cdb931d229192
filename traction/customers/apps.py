from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "traction.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from traction.core import dashboard, events
        from traction.core.permissions import registry

        from . import rules, selectors, services

        registry.register(rules.RULES)
        events.subscribe("member.removed", services.release_ownerships)
        dashboard.register(
            "customers",
            action="customer.view",
            count=lambda viewer: selectors.customers(viewer).count(),
        )
