from django.apps import AppConfig


class LockerConfig(AppConfig):
    name = "entitle.locker"
    label = "locker"
    verbose_name = "Vouchers and the Digital Locker"
