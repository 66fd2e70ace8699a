from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema

from entitle.core.fields import (
    Code,
    Flag,
    InputSchema,
    Message,
    Money,
    Name,
    PolicyDays,
    ReminderDay,
    TermDays,
)


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


class ProductIn(InputSchema):
    code: Code
    name: Name
    description: Message = ""
    quantity_unit: Name = "devices"
    renewable_after_expiry: Flag = True
    grace_days: PolicyDays = 0
    warn_days: PolicyDays = 30
    one_licence_per_device: Flag = False
    quantity_counts_devices: Flag = False
    reminder_days: Annotated[list[ReminderDay], Field(max_length=20)] | None = None


class SkuIn(InputSchema):
    code: Code
    product: Code
    name: Name = ""
    term_days: TermDays
    partner_price: Money
