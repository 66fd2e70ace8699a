from django.http import HttpRequest
from ninja import Query, Router

from entitle.accounts import scopes
from entitle.accounts.auth import needs
from entitle.accounts.schemas import ErrorOut
from entitle.catalog import selectors, services
from entitle.catalog.schemas import ProductIn, ProductOut, SkuIn, SkuOut
from entitle.core.listing import page_schema
from entitle.core.routing import reads_from_replica

router = Router(tags=["catalog"])
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get(
    "/products",
    response={200: page_schema(ProductOut), 422: ErrorOut},
    summary="List products and their policy",
    description="Pages by cursor; `q` searches product codes and names.",
)
@reads_from_replica
def product_list(request: HttpRequest, params: Query[selectors.PRODUCTS.Params]):
    # The products without their SKUs (`GET /skus?product=…` pages those).
    products = selectors.product_list(actor=request.auth).prefetch_related(None)
    return selectors.PRODUCTS.page(products, params)


@router.post(
    "/products",
    auth=needs(scopes.CATALOG_EDIT),
    response={201: ProductOut, **WRITE_ERRORS},
    summary="Add a product (vendor staff)",
    description="Errors: `vendor_staff_only` (403), `catalog_duplicate` (409), "
    "`catalog_invalid` (422).",
)
def product_create(request: HttpRequest, payload: ProductIn):
    return 201, services.product_create(actor=request.auth, **payload.dict())


@router.get(
    "/skus",
    response={200: page_schema(SkuOut), 422: ErrorOut},
    summary="List SKUs with partner and direct prices",
    description="Pages by cursor; `q` searches SKU codes and names and product names, "
    "`product` is a product code.",
)
@reads_from_replica
def sku_list(request: HttpRequest, params: Query[selectors.SKUS.Params]):
    return selectors.SKUS.page(selectors.sku_list(actor=request.auth), params)


@router.post(
    "/skus",
    auth=needs(scopes.CATALOG_EDIT),
    response={201: SkuOut, **WRITE_ERRORS},
    summary="Add a SKU (vendor staff)",
)
def sku_create(request: HttpRequest, payload: SkuIn):
    services.require_vendor_staff(request.auth)
    product = selectors.product_get_by_code(actor=request.auth, code=payload.product)
    data = payload.dict(exclude={"product"})
    return 201, services.sku_create(actor=request.auth, product=product, **data)
