from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "entitle.orders"
    label = "orders"
    verbose_name = "Purchase orders and entitlements"

    def ready(self) -> None:
        import entitle.orders.policy  # noqa: F401 — registers the app's access rules
