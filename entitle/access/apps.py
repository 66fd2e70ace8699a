from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "entitle.access"
    label = "access"
    verbose_name = "Access policy"
