from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "entitle.renewals"
    label = "renewals"
    verbose_name = "Renewals, reminders and partners"
