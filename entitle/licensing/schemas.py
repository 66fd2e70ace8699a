from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from entitle.core.fields import (
    Code,
    Day,
    HostId,
    InputSchema,
    Key,
    Line,
    Name,
    Quantity,
    Reference,
    Terms,
)
from entitle.licensing.selectors import licence_status, subscription_id_of


class LicenceOut(Schema):
    id: UUID = Field(..., alias="public_id", description="The licence's id, for links and paths.")
    activation_id: str | None = Field(
        None,
        description="The licence key: only for the owner, its `manage` delegates and the "
        "vendor's staff (null for everyone else).",
    )
    subscription_id: str = Field(
        "", description="The Subscription ID of the entitlement that paid for the licence."
    )
    product: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    sku: str = Field(..., alias="sku.code")
    quantity: int
    start_date: date
    end_date: date = Field(..., description="The first day not covered.")
    valid_through: date
    status: str = Field(
        ..., description="not yet valid, active, expiring, grace, expired or suspended"
    )
    days_left: int = Field(..., description="Days of cover left, or of grace while in grace.")
    colour: str = Field(..., description="green, amber (expiring or in grace) or red")
    devices: list[UUID]

    @staticmethod
    def resolve_activation_id(obj) -> str | None:
        return obj.activation_id if getattr(obj, "key_visible", False) else None

    @staticmethod
    def resolve_subscription_id(obj, context) -> str:
        return subscription_id_of(obj, actor=context["request"].auth)

    @staticmethod
    def resolve_status(obj) -> str:
        return str(licence_status(obj).status)

    @staticmethod
    def resolve_days_left(obj) -> int:
        return licence_status(obj).days_left

    @staticmethod
    def resolve_colour(obj) -> str:
        return licence_status(obj).colour

    @staticmethod
    def resolve_devices(obj) -> list[UUID]:
        return [binding.device.public_id for binding in obj.visible_bindings]


class CreateIn(InputSchema):
    sku: Code
    quantity: Quantity
    terms: Terms = 1
    start_date: Day | None = None
    idempotency_key: Key


class IncreaseQuoteIn(InputSchema):
    quantity: Quantity


class IncreaseIn(IncreaseQuoteIn):
    idempotency_key: Key


class RenewQuoteIn(InputSchema):
    terms: Terms = 1
    sku: Code | None = Field(None, description="Credits of another SKU of the same product.")


class RenewIn(RenewQuoteIn):
    idempotency_key: Key


class QuoteOut(Schema):
    kind: str
    sku: str = Field(..., alias="sku.code")
    credits: Decimal
    quantity: int
    start_date: date
    end_date: date
    balance: Decimal
    affordable: bool


class ConsumptionOut(Schema):
    id: UUID = Field(..., alias="public_id")
    kind: str
    status: str
    failure_reason: str
    activation_id: str | None = None
    sku: str = Field(..., alias="sku.code")
    credits: Decimal
    details: dict
    created_at: datetime
    completed_at: datetime | None

    @staticmethod
    def resolve_activation_id(obj) -> str | None:
        # Listed records say whether the reader may still see the key (not once the licence
        # was transferred away); a record just made is the reader's own act.
        if not obj.licence_id or not getattr(obj, "licence_key_visible", True):
            return None
        return obj.licence.activation_id


class SuspendIn(InputSchema):
    reason: Line


class DeviceIn(InputSchema):
    name: Name
    host_id: HostId
    product: Code = Field(..., description="Product code, e.g. dce")
    location: Line = ""


class DeviceOut(Schema):
    id: UUID = Field(..., alias="public_id")
    name: str
    product: str = Field(..., alias="product.code")
    host_id: str
    location: str
    licences: list[dict]

    @staticmethod
    def resolve_licences(obj) -> list[dict]:
        return [
            {
                "activation_id": b.licence.activation_id,
                "applied_quantity": b.applied_quantity,
                "licence_quantity": b.licence.quantity,
                "new_quantity_available": b.licence.quantity > b.applied_quantity,
            }
            for b in obj.visible_bindings
        ]


class AssignIn(InputSchema):
    activation_id: Reference


class LicenceFileOut(Schema):
    activation_id: str = Field(..., alias="licence.activation_id")
    serial: int
    kid: str
    issued_at: datetime
    text: str


class RehostIn(InputSchema):
    host_id: HostId = Field(..., description="The new host id.")
    name: Name = Field("", description="The new device's name, if it is new.")


class ActivationOut(Schema):
    token: str = Field(..., description="Compact JWS (typ entitle-validation+jwt).")
    licence: str | None = Field(None, description="An armoured licence file, or null.")


class EntitlementOut(Schema):
    """Entitlement information, exactly what every role on the PO (and the owner's delegates)
    may see: once its credits went into a licence, that licence as it is today."""

    subscription_id: str
    product: str
    sku: str
    quantity: int
    start_date: date
    end_date: date = Field(..., description="The first day not covered.")
    po_number: str = Field(..., description="The purchasing entity's PO number.")
    status: str = Field(
        ...,
        description="unused (its credits have not gone into a licence yet), not yet valid, "
        "active, expiring, grace or expired",
    )

    @staticmethod
    def resolve_status(obj) -> str:
        return "unused" if obj.status is None else str(obj.status.status)
