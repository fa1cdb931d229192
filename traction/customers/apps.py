from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "traction.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from traction.core.permissions import registry

        from . import rules

        registry.register(rules.RULES)
