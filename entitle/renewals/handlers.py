"""The renewals app's reactions to other apps' events (subscribed in `RenewalsConfig.ready()`)."""

from entitle.locker.events import VoucherRedeemed
from entitle.renewals.services.shop import shop_order_apply


def apply_shop_order(event: VoucherRedeemed) -> None:
    shop_order_apply(actor=event.actor, voucher=event.voucher)
