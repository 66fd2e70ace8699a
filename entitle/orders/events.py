"""What the orders app tells the apps above it (see `entitle.core.hooks`)."""

from dataclasses import dataclass
from datetime import date

from entitle.core.actor import Actor
from entitle.core.hooks import Event
from entitle.orders.models import Entitlement, PurchaseOrder


@dataclass(frozen=True)
class PoFulfilled(Event):
    """A PO was fulfilled: one entitlement per line now exists. The locker issues each line's
    voucher and mails the codes to the PO email."""

    actor: Actor
    po: PurchaseOrder
    entitlements: list[Entitlement]
    fulfilled_on: date
