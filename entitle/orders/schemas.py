from datetime import date
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema


class CompanyRef(Schema):
    id: int
    name: str


class OrderLineOut(Schema):
    number: int
    sku: str = Field(..., alias="sku.code")
    product: str = Field(..., alias="sku.product.name")
    quantity: int
    unit_price: Decimal
    amount: Decimal


class PurchaseOrderOut(Schema):
    """Order details: for the purchasing entity and the vendor only."""

    id: UUID = Field(..., alias="public_id")
    po_number: str
    msa_reference: str
    po_email: str
    channel: str
    status: str
    ordered_on: date
    purchasing_entity: CompanyRef
    reseller: CompanyRef | None
    installer: CompanyRef | None
    owner: CompanyRef | None = Field(
        None, description="The owner (licensee): shown to the owner and vendor staff only."
    )
    lines: list[OrderLineOut]
    total: Decimal

    @staticmethod
    def resolve_owner(obj) -> dict | None:
        if not getattr(obj, "owner_visible", False):
            return None
        return {"id": obj.owner.id, "name": obj.owner.name}


class OrderLineIn(Schema):
    sku: str
    quantity: int = Field(..., ge=1)
    unit_price: Decimal | None = Field(None, ge=0, decimal_places=2)


class PurchaseOrderIn(Schema):
    po_number: str
    po_email: str
    channel: str = Field(..., pattern="^(partner|direct)$")
    purchasing_entity: int
    owner: int
    reseller: int | None = None
    installer: int | None = None
    msa_reference: str = ""
    ordered_on: date | None = None
    lines: list[OrderLineIn] = Field(..., min_length=1)


class EntitlementOut(Schema):
    """Entitlement information: exactly what every role on the PO may see."""

    subscription_id: str
    sku: str = Field(..., alias="sku.code")
    quantity: int
    start_date: date
    end_date: date
    po_number: str = Field(..., alias="po.po_number")
