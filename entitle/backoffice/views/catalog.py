"""The catalog in the back office: products with their licence policy, and their SKUs."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from entitle.backoffice.forms import ProductForm, SkuForm
from entitle.backoffice.views.common import staff_only
from entitle.catalog import services
from entitle.catalog.selectors import (
    PRODUCTS,
    SKUS,
    product_get_by_code,
    product_list,
    sku_get_by_code,
    sku_list,
)
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import MAX_LIMIT, Column, list_response
from entitle.core.routing import reads_from_replica

# The products the catalog page lists above its SKUs (a vendor has a handful; past this
# many, the page says so and the SKU list's product filter finds the others).
CATALOG_PRODUCTS = MAX_LIMIT


@staff_only
@reads_from_replica
def catalog(request: HttpRequest) -> HttpResponse:
    """The products with their licence policy, and the SKUs — possibly thousands — paged,
    searched by code or name and filtered by product."""
    actor = request.actor
    products = PRODUCTS.page(
        product_list(actor=actor).prefetch_related(None),
        PRODUCTS.Params(limit=CATALOG_PRODUCTS),
    )
    return list_response(
        request,
        SKUS,
        sku_list(actor=actor),
        template="backoffice/catalog.html",
        context={"products": products},
        filename="skus.csv",
        columns=SKU_COLUMNS,
    )


SKU_COLUMNS = (
    Column("SKU", lambda sku: sku.code),
    Column("Product", lambda sku: sku.product.name),
    Column("Name", lambda sku: sku.name),
    Column("Term (days)", lambda sku: sku.term_days),
    Column("Partner price", lambda sku: sku.partner_price),
    Column("Direct price", lambda sku: sku.direct_price),
    Column("On sale", lambda sku: sku.is_active),
)


def _save(request, form, template, context, save, done):
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save(form.cleaned_data)
            except DomainError as error:
                show_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, done(saved))
                return redirect("backoffice:catalog")
        else:
            status = 422
    return render(request, template, {**context, "form": form}, status=status)


@staff_only
def product_new(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    return _save(
        request,
        form,
        "backoffice/product_form.html",
        {"title": "Add a product"},
        save=lambda data: services.product_create(actor=request.actor, **data),
        done=lambda product: f"Product {product.name} added.",
    )


@staff_only
def product(request: HttpRequest, code: str) -> HttpResponse:
    found = product_get_by_code(actor=request.actor, code=code)
    initial = {
        "code": found.code,
        "name": found.name,
        "description": found.description,
        "quantity_unit": found.quantity_unit,
        "renewable_after_expiry": found.renewable_after_expiry,
        "grace_days": found.grace_days,
        "warn_days": found.warn_days,
        "one_licence_per_device": found.one_licence_per_device,
        "quantity_counts_devices": found.quantity_counts_devices,
        "reminder_days": ", ".join(str(day) for day in found.reminder_days),
    }
    form = ProductForm(request.POST or None, initial=initial, editing=True)
    return _save(
        request,
        form,
        "backoffice/product_form.html",
        {"title": f"Product {found.name}", "product": found},
        save=lambda data: services.product_update(
            actor=request.actor,
            code=found.code,
            name=data["name"],
            description=data["description"],
            quantity_unit=data["quantity_unit"],
            renewable_after_expiry=data["renewable_after_expiry"],
            grace_days=data["grace_days"],
            warn_days=data["warn_days"],
            reminder_days=data["reminder_days"],
        ),
        done=lambda saved: f"Product {saved.name} saved.",
    )


@staff_only
def sku_new(request: HttpRequest) -> HttpResponse:
    products = product_list(actor=request.actor)
    initial = {"product": request.GET.get("product")} if request.GET.get("product") else None
    form = SkuForm(request.POST or None, products=products, initial=initial)
    return _save(
        request,
        form,
        "backoffice/sku_form.html",
        {"title": "Add a SKU"},
        save=lambda data: services.sku_create(
            actor=request.actor,
            product=data["product"],
            code=data["code"],
            name=data["name"],
            term_days=data["term_days"],
            partner_price=data["partner_price"],
        ),
        done=lambda sku: f"SKU {sku.code} added.",
    )


@staff_only
def sku(request: HttpRequest, code: str) -> HttpResponse:
    found = sku_get_by_code(actor=request.actor, code=code)
    initial = {
        "product": found.product_id,
        "code": found.code,
        "name": found.name,
        "term_days": found.term_days,
        "partner_price": found.partner_price,
        "is_active": found.is_active,
    }
    form = SkuForm(
        request.POST or None,
        products=product_list(actor=request.actor),
        initial=initial,
        editing=True,
    )
    return _save(
        request,
        form,
        "backoffice/sku_form.html",
        {"title": f"SKU {found.code}", "sku": found},
        save=lambda data: services.sku_update(
            actor=request.actor,
            code=found.code,
            name=data["name"],
            partner_price=data["partner_price"],
            is_active=data["is_active"],
        ),
        done=lambda saved: f"SKU {saved.code} saved.",
    )
