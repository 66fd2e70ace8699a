from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "entitle.core"
    label = "core"
    verbose_name = "Entitle core"
