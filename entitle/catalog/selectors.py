from django.db.models import QuerySet

from entitle.catalog.models import Product, Sku
from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.policy import Action


def product_list(*, actor: Actor) -> QuerySet[Product]:
    return Product.objects.visible_to(actor, Action.VIEW).prefetch_related("skus")


def sku_list(*, actor: Actor) -> QuerySet[Sku]:
    return Sku.objects.visible_to(actor, Action.VIEW).select_related("product")


def sku_get_by_code(*, actor: Actor, code: str) -> Sku:
    try:
        return sku_list(actor=actor).get(code=code)
    except Sku.DoesNotExist as exc:
        raise NotFound(f"No SKU {code!r}.") from exc


def product_get_by_code(*, actor: Actor, code: str) -> Product:
    try:
        return product_list(actor=actor).get(code=code)
    except Product.DoesNotExist as exc:
        raise NotFound(f"No product {code!r}.") from exc
