"""The catalog: everyone signed in reads it; the vendor's staff change it."""

from django.db.models import Q

from entitle.catalog.models import Product, Sku
from entitle.core.actor import Actor
from entitle.core.policy import Action, rule


def _catalog_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW or actor.is_vendor_staff:
        return Q()
    return None


rule(Product)(_catalog_rule)
rule(Sku)(_catalog_rule)
