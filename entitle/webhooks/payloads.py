"""What an endpoint is told about a change: the changed object as its company sees it.

Each payload is built as the endpoint's actor, through the owning app's selector (which starts
from `visible_to`, so an object the company may not see yields no delivery at all, and which
annotates the field policy's groups) and the API schema the company would get from the API
(which asks the field policy) — so a webhook never carries a field the API would not show that
company. A device is added only for those who may see the installation.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.models import AuditEvent
from entitle.core.policy import Action
from entitle.licensing import selectors as licensing
from entitle.licensing.schemas import DeviceOut, LicenceOut
from entitle.locker import selectors as locker
from entitle.locker.schemas import VoucherOut
from entitle.orders import selectors as orders
from entitle.orders.schemas import PurchaseOrderOut
from entitle.renewals import selectors as renewals
from entitle.renewals.models import Reminder, RenewalRequest
from entitle.renewals.schemas import RenewalRequestOut
from entitle.sharing import selectors as sharing
from entitle.sharing.schemas import TransferOut

Builder = Callable[[AuditEvent, Actor], dict | None]


@dataclass(frozen=True)
class _Reader:
    """Stands for the API request the schemas' resolvers read the reader from."""

    auth: Actor


def _dump(schema, obj, actor: Actor) -> dict:
    """The object as `schema` shows it to `actor` (its resolvers ask `context["request"]`)."""
    return schema.model_validate(obj, context={"request": _Reader(actor)}).model_dump(mode="json")


def _purchase_order(event: AuditEvent, actor: Actor) -> dict | None:
    po = orders.po_list(actor=actor).filter(pk=event.object_id).first()
    return None if po is None else {"purchase_order": _dump(PurchaseOrderOut, po, actor)}


def _voucher(event: AuditEvent, actor: Actor) -> dict | None:
    # The field policy leaves out who redeemed it for the purchasing entity.
    voucher = locker.voucher_list(actor=actor).filter(pk=event.object_id).first()
    return None if voucher is None else {"voucher": _dump(VoucherOut, voucher, actor)}


def _licence_data(licence_id, actor: Actor) -> dict | None:
    licence = licensing.licence_list(actor=actor).filter(pk=licence_id).first()
    return None if licence is None else {"licence": _dump(LicenceOut, licence, actor)}


def _licence(event: AuditEvent, actor: Actor) -> dict | None:
    return _licence_data(event.object_id, actor)


def _device_data(public_id: str | None, actor: Actor) -> dict | None:
    if not public_id:
        return None
    try:
        device = licensing.device_get(actor=actor, public_id=public_id)
        return _dump(DeviceOut, device, actor)
    except NotFound:
        # The licence is shared with this company, its installation is not.
        return None


def _device(event: AuditEvent, actor: Actor) -> dict | None:
    """The licence, and the device (after a deactivation, the one it left; after a rehost,
    the new one and the previous one) if the company may see the installation."""
    data = _licence_data(event.object_id, actor)
    if data is None:
        return None
    before, after = event.before or {}, event.after or {}
    device = _device_data(after.get("device") or before.get("device"), actor)
    if device is not None:
        data["device"] = device
        if after.get("device") and before.get("device"):
            data["previous_device"] = _device_data(before["device"], actor)
    return data


def _reminder(event: AuditEvent, actor: Actor) -> dict | None:
    reminder = Reminder.objects.visible_to(actor, Action.VIEW).filter(pk=event.object_id).first()
    if reminder is None:
        return None
    data = _licence_data(reminder.licence_id, actor)
    if data is None:
        return None
    days_left = (reminder.end_date - timezone.localdate(event.occurred_at)).days
    return {**data, "reminder": {"step": reminder.step, "days_left": days_left}}


def _transfer(event: AuditEvent, actor: Actor) -> dict | None:
    transfer = sharing.transfer_list(actor=actor).filter(pk=event.object_id).first()
    return None if transfer is None else {"transfer": _dump(TransferOut, transfer, actor)}


def _renewal_request(event: AuditEvent, actor: Actor) -> dict | None:
    public_id = (
        RenewalRequest.objects.visible_to(actor, Action.VIEW)
        .filter(pk=event.object_id)
        .values_list("public_id", flat=True)
        .first()
    )
    if public_id is None:
        return None
    request = renewals.renewal_request_get(actor=actor, public_id=public_id)
    return {"renewal_request": _dump(RenewalRequestOut, request, actor)}


BUILDERS: dict[str, Builder] = {
    "po.recorded": _purchase_order,
    "po.fulfilled": _purchase_order,
    "voucher.redeemed": _voucher,
    "licence.created": _licence,
    "licence.increased": _licence,
    "licence.renewed": _licence,
    "licence.suspended": _licence,
    "licence.reinstated": _licence,
    "licence.expiring": _reminder,
    "licence.expired": _reminder,
    "device.activated": _device,
    "device.deactivated": _device,
    "device.rehosted": _device,
    "transfer.proposed": _transfer,
    "transfer.accepted": _transfer,
    "transfer.declined": _transfer,
    "renewal_request.sent": _renewal_request,
    "renewal_request.answered": _renewal_request,
}


def build(event_type: str, event: AuditEvent, actor: Actor) -> dict | None:
    """The `data` of the event for this actor, or None if it may not see the object."""
    return BUILDERS[event_type](event, actor)
