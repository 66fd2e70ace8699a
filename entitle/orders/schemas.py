from datetime import date
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from entitle.core.fields import Code, Day, Email, Id, InputSchema, Money, Quantity, Reference
from entitle.core.schemas import PolicySchema


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


class PurchaseOrderOut(PolicySchema):
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
    def resolve_owner(obj) -> dict:
        return {"id": obj.owner.id, "name": obj.owner.name}


class OrderLineIn(InputSchema):
    sku: Code
    quantity: Quantity
    unit_price: Money | None = None


class PurchaseOrderIn(InputSchema):
    po_number: Reference
    po_email: Email
    channel: str = Field(..., pattern="^(partner|direct)$", max_length=7)
    purchasing_entity: Id
    owner: Id
    reseller: Id | None = None
    installer: Id | None = None
    msa_reference: Reference = ""
    ordered_on: Day | None = None
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=100)
