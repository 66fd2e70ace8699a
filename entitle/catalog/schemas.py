from decimal import Decimal

from ninja import Field, Schema


class SkuOut(Schema):
    code: str
    name: str
    product: str = Field(..., alias="product.code")
    term_days: int
    partner_price: Decimal
    direct_price: Decimal


class ProductOut(Schema):
    code: str
    name: str
    description: str
    quantity_unit: str
    renewable_after_expiry: bool
    grace_days: int
    warn_days: int
    one_licence_per_device: bool
    quantity_counts_devices: bool
    reminder_days: list[int]


class ProductIn(Schema):
    code: str
    name: str
    description: str = ""
    quantity_unit: str = "devices"
    renewable_after_expiry: bool = True
    grace_days: int = Field(0, ge=0)
    warn_days: int = Field(30, ge=0)
    one_licence_per_device: bool = False
    quantity_counts_devices: bool = False
    reminder_days: list[int] | None = None


class SkuIn(Schema):
    code: str
    product: str
    name: str = ""
    term_days: int = Field(..., ge=1)
    partner_price: Decimal = Field(..., ge=0, decimal_places=2)
