from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "entitle.sharing"
    label = "sharing"
    verbose_name = "Delegations and transfers"
