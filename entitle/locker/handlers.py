"""The locker's reactions to other apps' events (subscribed in `LockerConfig.ready()`)."""

from entitle.locker.services import vouchers_issue
from entitle.orders.events import PoFulfilled


def issue_vouchers(event: PoFulfilled) -> None:
    vouchers_issue(
        actor=event.actor,
        po=event.po,
        entitlements=event.entitlements,
        fulfilled_on=event.fulfilled_on,
    )
