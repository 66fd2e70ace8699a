from django.apps import AppConfig


class LockerConfig(AppConfig):
    name = "entitle.locker"
    label = "locker"
    verbose_name = "Vouchers and the Digital Locker"

    def ready(self) -> None:
        import entitle.locker.policy  # noqa: F401 — registers the app's access rules
        from entitle.accounts import token_routes
        from entitle.core import hooks
        from entitle.locker import handlers
        from entitle.locker.api import TOKEN_ROUTES
        from entitle.orders.events import PoFulfilled

        hooks.subscribe(PoFulfilled, handlers.issue_vouchers)
        for route in TOKEN_ROUTES:
            token_routes.register(route)
