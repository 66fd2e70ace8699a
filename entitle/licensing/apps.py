from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "entitle.licensing"
    label = "licensing"
    verbose_name = "Licences, devices and licence files"
