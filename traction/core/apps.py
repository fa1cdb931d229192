from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "traction.core"
    label = "core"
    verbose_name = "Traction core"
