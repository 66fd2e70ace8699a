from typing import Annotated

from django.db.models import Q, QuerySet
from pydantic import Field

from entitle.catalog.models import Product, Sku
from entitle.core import policy, statements
from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.listing import Filter, Listing, Sort
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


ProductCode = Annotated[str, Field(max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]


def product_choices() -> list[tuple[str, str]]:
    """(code, name) of every product, for a list's product filter: the catalog is everyone's
    to read (`catalog.policy`), and holds a handful of products."""
    return list(Product.objects.order_by("name").values_list("code", "name"))


def product_filter(field: str, label: str = "Product") -> Filter:
    """A list's product filter: the product code, checked against the catalog, on `field`
    (the path to the product's code, e.g. "sku__product__code"), offered as the catalog's
    products."""
    return Filter(
        label,
        ProductCode,
        lambda rows, code: rows.filter(**{field: code}),
        choices=product_choices,
    )


def products_named(text: str) -> list[int]:
    """The ids of the products whose name holds `text` (any case), for a search that also
    looks at other columns: as ids, the search stays on the searched table's own indexes."""
    return list(Product.objects.filter(name__icontains=text).values_list("pk", flat=True))


PRODUCTS = Listing(
    search=lambda text: Q(code__icontains=text) | Q(name__icontains=text),
    search_hint="Product code or name",
    sorts={"name": Sort("Name", "name"), "code": Sort("Code", "code")},
    default="name",
)

SKUS = Listing(
    search=lambda text: (
        Q(code__icontains=text) | Q(name__icontains=text) | Q(product__name__icontains=text)
    ),
    search_hint="SKU code or name, or product",
    sorts={
        "code": Sort("SKU", "code"),
        "product": Sort("Product", "product__name"),
        "term": Sort("Term (days)", "term_days"),
        "price": Sort("Partner price", "partner_price"),
    },
    default="code",
    filters={
        "product": product_filter("product__code"),
    },
)
