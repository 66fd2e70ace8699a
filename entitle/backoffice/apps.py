from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "entitle.backoffice"
    label = "backoffice"
    verbose_name = "Back office (vendor staff, in the portal)"
