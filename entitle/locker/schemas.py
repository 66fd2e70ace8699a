from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from entitle.core.fields import InputSchema, Key, Reference
from entitle.core.schemas import PolicySchema


class VoucherOut(PolicySchema):
    code: str
    sku: str = Field(..., alias="sku.code")
    product: str = Field(..., alias="sku.product.name")
    credits: Decimal
    status: str
    po_number: str = Field(..., alias="line.po.po_number")
    subscription_id: str = Field(..., alias="entitlement.subscription_id")
    issued_at: datetime
    redeemed_at: datetime | None
    redeemed_by_company: str | None = None

    @staticmethod
    def resolve_redeemed_by_company(obj) -> str | None:
        return obj.redeemed_by_company.name if obj.redeemed_by_company else None


class RedeemIn(InputSchema):
    code: Reference
    idempotency_key: Key | None = Field(
        None,
        description="Or send an `Idempotency-Key` header. The same request twice redeems once.",
    )


class BalanceOut(Schema):
    sku: str = Field(..., alias="sku.code")
    product: str = Field(..., alias="sku.product.name")
    term_days: int = Field(..., alias="sku.term_days")
    balance: Decimal


class LedgerEntryOut(Schema):
    id: int
    sku: str = Field(..., alias="locker.sku.code")
    kind: str
    amount: Decimal
    reason: str
    voucher: str | None = None
    created_at: datetime

    @staticmethod
    def resolve_voucher(obj) -> str | None:
        return obj.voucher.code if obj.voucher else None
