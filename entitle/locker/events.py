"""What the locker tells the apps above it (see `entitle.core.hooks`)."""

from dataclasses import dataclass

from entitle.core.actor import Actor
from entitle.core.hooks import Event
from entitle.locker.models import Voucher


@dataclass(frozen=True)
class VoucherRedeemed(Event):
    """A voucher's credits entered the redeeming company's locker. The renewals app applies a
    shop order that was waiting for this voucher."""

    actor: Actor
    voucher: Voucher
