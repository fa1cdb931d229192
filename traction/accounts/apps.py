from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "traction.accounts"
    label = "accounts"
    verbose_name = "Accounts and workspaces"

    def ready(self) -> None:
        from traction.core.permissions import registry

        from . import rules

        registry.register(rules.RULES)
