from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "entitle.orders"
    label = "orders"
    verbose_name = "Purchase orders and entitlements"
