from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "entitle.accounts"
    label = "accounts"
    verbose_name = "Companies and users"

    def ready(self) -> None:
        import entitle.accounts.policy  # noqa: F401 — registers the app's access rules
