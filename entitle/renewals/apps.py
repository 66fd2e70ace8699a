from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "entitle.renewals"
    label = "renewals"
    verbose_name = "Renewals, reminders and partners"

    def ready(self) -> None:
        import entitle.renewals.policy  # noqa: F401 — registers the app's access rules
        from entitle.core import hooks
        from entitle.locker.events import VoucherRedeemed
        from entitle.renewals import handlers

        hooks.subscribe(VoucherRedeemed, handlers.apply_shop_order)
