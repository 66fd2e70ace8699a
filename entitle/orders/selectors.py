from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from entitle.core.actor import Actor
from entitle.core.audit import events_of
from entitle.core.errors import NotFound
from entitle.core.policy import Action, audit_redactions, redact_event, with_field_groups
from entitle.orders.errors import PoNotFound
from entitle.orders.models import PurchaseOrder


def po_list(*, actor: Actor) -> QuerySet[PurchaseOrder]:
    """Order details: the purchasing entity's POs (all of them for vendor staff), with their
    field groups (`may_see_owner_identity`: whether the owner may be named to this actor)."""
    return with_field_groups(
        PurchaseOrder.objects.visible_to(actor, Action.VIEW)
        .select_related("purchasing_entity", "reseller", "owner", "installer")
        .prefetch_related("lines__sku__product"),
        actor,
    )


def po_get(*, actor: Actor, public_id) -> PurchaseOrder:
    try:
        return po_list(actor=actor).get(public_id=public_id)
    except (PurchaseOrder.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("No such purchase order.") from exc


def po_lookup(*, actor: Actor, po_number: str) -> PurchaseOrder:
    """Look-up by PO number answers only the users of that PO's purchasing entity; everyone
    else gets the same answer as for a number that does not exist."""
    number = (po_number or "").strip()
    try:
        return po_list(actor=actor).get(purchasing_entity=actor.company, po_number__iexact=number)
    except PurchaseOrder.DoesNotExist as exc:
        raise PoNotFound() from exc


def po_activity(*, actor: Actor, public_id):
    """A PO's history for those who see its order details, without what the field policy
    hides from the reader (the owner, for anyone but the owner and vendor staff)."""
    po = po_get(actor=actor, public_id=public_id)
    return po, [redact_event(event) for event in events_of(po).annotate(**audit_redactions(actor))]
