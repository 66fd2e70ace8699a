from typing import Literal

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from entitle.core import codes
from entitle.core.actor import Actor
from entitle.core.listing import Filter, Listing, Sort, choice_filter
from entitle.core.policy import Action
from entitle.sharing.models import Delegation, Transfer


def _given(actor: Actor) -> ExpressionWrapper:
    """Whether the company gave the delegation (its delegate's name and the licence's key are
    the owner's to see; a delegate sees neither)."""
    return ExpressionWrapper(Q(owner=actor.company), output_field=BooleanField())


def delegation_list(*, actor: Actor) -> QuerySet[Delegation]:
    """The delegations the company gave and those given to it, each with `given`."""
    company = actor.company
    return (
        Delegation.objects.visible_to(actor, Action.VIEW)
        .filter(Q(owner=company) | Q(delegate=company))
        .select_related("delegate", "licence__product", "po")
        .annotate(given=_given(actor))
    )


def delegations_held(*, actor: Actor) -> QuerySet[Delegation]:
    # What others shared with us. The owner's name is deliberately not selected: delegates
    # never see the owner's identity.
    return (
        Delegation.objects.visible_to(actor, Action.VIEW)
        .filter(delegate=actor.company)
        .select_related("licence__product", "po")
        .annotate(given=_given(actor))
    )


def transfer_list(*, actor: Actor) -> QuerySet[Transfer]:
    """Transfers offered or received, each with `offered` (the company is the giving one)."""
    return (
        Transfer.objects.visible_to(actor, Action.VIEW)
        .select_related("licence__product", "from_company", "to_company", "proposed_by")
        .annotate(
            offered=ExpressionWrapper(Q(from_company=actor.company), output_field=BooleanField())
        )
    )


def _delegation_search(text: str) -> Q:
    """PO number and invited address (both sides see them); the delegate's name and the
    licence's Activation ID only on the delegations the reader gave (`given`), so that search
    is no oracle for the owner's key or who else it shared with."""
    found = (
        Q(po__po_number__icontains=text)
        | Q(invited_email__icontains=text)
        | Q(delegate__name__icontains=text, given=True)
    )
    try:
        code = codes.normalize(text)
    except codes.CodeTypo:
        return found
    return found | Q(licence__activation_id=code, given=True)


def _delegation_state(rows: QuerySet, state: str) -> QuerySet:
    now = timezone.now()
    if state == "revoked":
        return rows.filter(revoked_at__isnull=False)
    if state == "expired":
        return rows.filter(revoked_at__isnull=True, expires_at__lte=now)
    return rows.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True)


DELEGATIONS = Listing(
    search=_delegation_search,
    search_hint="PO number, e-mail address, company or Activation ID",
    sorts={"created": Sort("Since", "created_at")},
    default="-created",
    filters={
        "side": Filter(
            "Shared",
            Literal["given", "held"],
            lambda rows, side: rows.filter(given=side == "given"),
            choices=[("given", "By us"), ("held", "With us")],
        ),
        "state": Filter(
            "State",
            Literal["active", "expired", "revoked"],
            _delegation_state,
        ),
        "role": choice_filter("Access", Delegation.Role, "role"),
        "scope": choice_filter("What", Delegation.Scope, "scope"),
    },
)


TRANSFERS = Listing(
    search=lambda text: (
        Q(licence__product__name__icontains=text)
        | Q(from_company__name__icontains=text)
        | Q(to_company__name__icontains=text)
    ),
    search_hint="Product or company",
    sorts={"proposed": Sort("Offered", "proposed_at")},
    default="-proposed",
    filters={
        "status": choice_filter("Status", Transfer.Status, "status"),
        "direction": Filter(
            "Direction",
            Literal["offered", "received"],
            lambda rows, direction: rows.filter(offered=direction == "offered"),
        ),
    },
)
