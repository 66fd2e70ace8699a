"""Orders. DOMAIN.md, "What may be shared, with whom": order details (the PO, its lines, prices
and MSA) are the purchasing entity's; entitlement information is every role's on the PO (and
the owner's delegates', granted by the sharing app)."""

from django.db.models import Q

from entitle.core.actor import Actor
from entitle.core.policy import Action, condition, field_group, rule, through
from entitle.orders.models import Entitlement, EntitlementListRow, OrderLine, PurchaseOrder


def po_roles(actor: Actor, prefix: str = "") -> Q:
    """Every role held on the PO at `prefix` (entitlement information is theirs to see)."""
    company = actor.company
    return (
        Q(**{f"{prefix}purchasing_entity": company})
        | Q(**{f"{prefix}reseller": company})
        | Q(**{f"{prefix}owner": company})
        | Q(**{f"{prefix}installer": company})
    )


def owner_identity(actor: Actor, prefix: str = "") -> Q:
    """Where the owner's identity and contacts may be shown: to the owner and vendor staff."""
    if actor.is_vendor_staff:
        return Q()
    return Q(**{f"{prefix}owner": actor.company})


@rule(PurchaseOrder)
def purchase_order_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(purchasing_entity=actor.company)
    return None


@field_group(PurchaseOrder, "owner_identity", fields=("owner",))
def purchase_order_owner(actor: Actor) -> Q | None:
    # Even the purchasing entity of the PO does not learn who the owner is (nor in the PO's
    # audit events): the owner's identity is the owner's.
    return owner_identity(actor)


@rule(OrderLine)
def order_line_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(po__purchasing_entity=actor.company)
    return None


@rule(Entitlement)
def entitlement_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return po_roles(actor, "po__")
    return None


@rule(EntitlementListRow)
def entitlement_list_row_rule(actor: Actor, action: Action) -> Q | None:
    # Readable as its entitlement is, grants included (a delegate's).
    allowed = condition(Entitlement, actor, action)
    return None if allowed is None else through(allowed, "entitlement__")
