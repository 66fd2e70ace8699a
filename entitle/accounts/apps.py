from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "entitle.accounts"
    label = "accounts"
    verbose_name = "Companies and users"
