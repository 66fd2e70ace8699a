from django.db.models import QuerySet

from entitle.catalog.models import Product, Sku
from entitle.core import policy, statements
from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.policy import Action


def product_list(*, actor: Actor) -> QuerySet[Product]:
    return Product.objects.visible_to(actor, Action.VIEW).prefetch_related("skus")


def sku_list(*, actor: Actor) -> QuerySet[Sku]:
    return Sku.objects.visible_to(actor, Action.VIEW).select_related("product")


# Every licence creation looks its SKU up: compiled once (see entitle.core.statements).
SKU_BY_CODE = statements.Select(Sku, related=("product",), where="t.code = %s")


def sku_get_by_code(*, actor: Actor, code: str) -> Sku:
    allowed = policy.condition(Sku, actor, Action.VIEW)
    if allowed is not None and not allowed:
        # The policy lets this actor see every SKU (an empty filter): no filter to apply.
        sku = SKU_BY_CODE.one([code])
    else:
        sku = sku_list(actor=actor).filter(code=code).first()
    if sku is None:
        raise NotFound(f"No SKU {code!r}.")
    return sku


def product_get_by_code(*, actor: Actor, code: str) -> Product:
    try:
        return product_list(actor=actor).get(code=code)
    except Product.DoesNotExist as exc:
        raise NotFound(f"No product {code!r}.") from exc
