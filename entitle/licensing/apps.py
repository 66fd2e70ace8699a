from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "entitle.licensing"
    label = "licensing"
    verbose_name = "Licences, devices and licence files"

    def ready(self) -> None:
        import entitle.licensing.policy  # noqa: F401 — registers the app's access rules
        from entitle.accounts import token_routes
        from entitle.licensing.api import TOKEN_ROUTES

        for route in TOKEN_ROUTES:
            token_routes.register(route)
