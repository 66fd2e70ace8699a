"""Changes to the catalog: vendor staff only."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from entitle.catalog.errors import CatalogDuplicate, CatalogInvalid
from entitle.catalog.models import Product, Sku, default_reminder_days
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.policy import Action, require_vendor_staff
from entitle.core.units import has_cents_only


def _clean_reminder_days(days: list[int] | None) -> list[int]:
    if days is None:
        return default_reminder_days()
    if not all(isinstance(d, int) and 0 <= d <= 3650 for d in days):
        raise CatalogInvalid(
            "Reminder days must be whole numbers of days before the end date (0 to 3650).",
            field="reminder_days",
        )
    return sorted(set(days), reverse=True)


def _clean_price(partner_price: Decimal | str) -> Decimal:
    try:
        price = Decimal(str(partner_price))
    except InvalidOperation as exc:
        raise CatalogInvalid("The partner price must be a number.", field="partner_price") from exc
    if not price.is_finite() or not has_cents_only(price) or price < 0:
        raise CatalogInvalid(
            "The partner price must be zero or more, with at most two decimal places.",
            field="partner_price",
        )
    return price


def _product_state(product: Product) -> dict:
    return {
        "code": product.code,
        "name": product.name,
        "renewable_after_expiry": product.renewable_after_expiry,
        "grace_days": product.grace_days,
        "warn_days": product.warn_days,
        "one_licence_per_device": product.one_licence_per_device,
        "quantity_counts_devices": product.quantity_counts_devices,
        "reminder_days": product.reminder_days,
        "lease_days": product.lease_days,
        "rehosts_per_term": product.rehosts_per_term,
    }


def product_create(
    *,
    actor: Actor | None,
    code: str,
    name: str,
    description: str = "",
    quantity_unit: str = "devices",
    renewable_after_expiry: bool = True,
    grace_days: int = 0,
    warn_days: int = 30,
    one_licence_per_device: bool = False,
    quantity_counts_devices: bool = False,
    reminder_days: list[int] | None = None,
    lease_days: int = 0,
    rehosts_per_term: int = 2,
) -> Product:
    """`actor` None is the system itself (the demo world)."""
    if actor is not None:
        require_vendor_staff(actor)
    if not code.strip() or not name.strip():
        raise CatalogInvalid("A product needs a code and a name.", field="name")
    if min(grace_days, warn_days, lease_days, rehosts_per_term) < 0:
        raise CatalogInvalid(
            "Grace, warning and lease days and rehosts cannot be negative.", field="grace_days"
        )
    try:
        with transaction.atomic():
            product = Product.objects.create(
                code=code.strip(),
                name=name.strip(),
                description=description,
                quantity_unit=quantity_unit,
                renewable_after_expiry=renewable_after_expiry,
                grace_days=grace_days,
                warn_days=warn_days,
                one_licence_per_device=one_licence_per_device,
                quantity_counts_devices=quantity_counts_devices,
                reminder_days=_clean_reminder_days(reminder_days),
                lease_days=lease_days,
                rehosts_per_term=rehosts_per_term,
            )
            record(
                actor=actor or Actor.anonymous(),
                action=AuditAction.PRODUCT_CREATED,
                obj=product,
                company=None,
                after=_product_state(product),
            )
    except IntegrityError as exc:
        raise CatalogDuplicate("A product with this code or name exists already.") from exc
    return product


def sku_create(
    *,
    actor: Actor | None,
    product: Product,
    code: str,
    name: str,
    term_days: int,
    partner_price: Decimal | str,
) -> Sku:
    if actor is not None:
        require_vendor_staff(actor)
    price = _clean_price(partner_price)
    if term_days < 1:
        raise CatalogInvalid("The term must be at least one day.", field="term_days")
    if not code.strip():
        raise CatalogInvalid("A SKU needs a code.", field="code")
    try:
        with transaction.atomic():
            sku = Sku.objects.create(
                product=product,
                code=code.strip(),
                name=name.strip() or f"{product.name}, {term_days} days",
                term_days=term_days,
                partner_price=price,
            )
            record(
                actor=actor or Actor.anonymous(),
                action=AuditAction.SKU_CREATED,
                obj=sku,
                company=None,
                after={
                    "code": sku.code,
                    "product": product.code,
                    "term_days": term_days,
                    "partner_price": str(price),
                },
            )
    except IntegrityError as exc:
        raise CatalogDuplicate("A SKU with this code exists already.", field="code") from exc
    return sku


def _sku_state(sku: Sku) -> dict:
    return {
        "code": sku.code,
        "name": sku.name,
        "partner_price": str(sku.partner_price),
        "is_active": sku.is_active,
    }


def product_update(
    *,
    actor: Actor,
    code: str,
    name: str,
    description: str,
    quantity_unit: str,
    renewable_after_expiry: bool,
    grace_days: int,
    warn_days: int,
    reminder_days: list[int],
) -> Product:
    """Change a product's name and licence policy (its code, which licence files carry,
    stays). A licence's status follows the new warning and grace days from now on."""
    require_vendor_staff(actor)
    if not name.strip():
        raise CatalogInvalid("A product needs a name.", field="name")
    if grace_days < 0 or warn_days < 0:
        raise CatalogInvalid("Grace and warning days cannot be negative.", field="grace_days")
    days = _clean_reminder_days(reminder_days)
    try:
        with transaction.atomic():
            try:
                product = (
                    Product.objects.visible_to(actor, Action.CHANGE)
                    .select_for_update()
                    .get(code=code)
                )
            except Product.DoesNotExist as exc:
                raise NotFound("No such product.") from exc
            before = _product_state(product)
            product.name = name.strip()
            product.description = description
            product.quantity_unit = quantity_unit.strip() or product.quantity_unit
            product.renewable_after_expiry = renewable_after_expiry
            product.grace_days = grace_days
            product.warn_days = warn_days
            product.reminder_days = days
            product.save()
            record(
                actor=actor,
                action=AuditAction.PRODUCT_CHANGED,
                obj=product,
                company=None,
                before=before,
                after=_product_state(product),
            )
    except IntegrityError as exc:
        raise CatalogDuplicate("A product with this name exists already.", field="name") from exc
    return product


def sku_update(
    *, actor: Actor, code: str, name: str, partner_price: Decimal | str, is_active: bool
) -> Sku:
    """Change a SKU's name, partner price (and so its direct price) or whether it is sold.
    Its term stays: credits already issued are credits of that term."""
    require_vendor_staff(actor)
    price = _clean_price(partner_price)
    with transaction.atomic():
        try:
            sku = Sku.objects.visible_to(actor, Action.CHANGE).select_for_update().get(code=code)
        except Sku.DoesNotExist as exc:
            raise NotFound("No such SKU.") from exc
        before = _sku_state(sku)
        sku.name = name.strip() or sku.name
        sku.partner_price = price
        sku.is_active = is_active
        sku.save(update_fields=["name", "partner_price", "is_active"])
        record(
            actor=actor,
            action=AuditAction.SKU_CHANGED,
            obj=sku,
            company=None,
            before=before,
            after=_sku_state(sku),
        )
    return sku
