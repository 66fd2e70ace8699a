from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from entitle.core.actor import Actor
from entitle.core.audit import events_of
from entitle.core.errors import NotFound
from entitle.core.listing import Filter, Listing, Sort
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


def _po_search(text: str) -> Q:
    """PO number, and the names of the PO's companies the reader may see: the owner's only
    where the field policy shows it (`may_see_owner_identity`), so that search is no oracle
    for who owns what a company bought."""
    return (
        Q(po_number__icontains=text)
        | Q(purchasing_entity__name__icontains=text)
        | Q(reseller__name__icontains=text)
        | Q(installer__name__icontains=text)
        | Q(owner__name__icontains=text, may_see_owner_identity=True)
    )


PoStatusChoice = Literal[tuple(status.value for status in PurchaseOrder.Status)]  # type: ignore[misc]

POS = Listing(
    search=_po_search,
    search_hint="PO number or company",
    sorts={
        "ordered": Sort("Ordered", "ordered_on"),
        "po": Sort("PO number", "po_number"),
        "recorded": Sort("Recorded", "recorded_at"),
    },
    default="-ordered",
    filters={
        "status": Filter("Status", PoStatusChoice, lambda rows, value: rows.filter(status=value)),
        "ordered_from": Filter(
            "Ordered from", date, lambda rows, day: rows.filter(ordered_on__gte=day)
        ),
        "ordered_to": Filter(
            "Ordered to", date, lambda rows, day: rows.filter(ordered_on__lte=day)
        ),
    },
)
