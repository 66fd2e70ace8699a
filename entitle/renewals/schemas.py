from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from entitle.core.fields import Flag, Id, InputSchema, Key, Message
from entitle.licensing.schemas import LicenceOut, QuoteOut


class PartnerOut(Schema):
    id: int = Field(..., alias="company_id")
    name: str
    country: str
    summary: str
    products: list[str]
    recommended: bool = Field(..., description="This partner sold the licence's entitlement.")


class PricesOut(Schema):
    quantity: int
    partner_unit: Decimal = Field(..., description="The partner price of one unit for a term.")
    direct_unit: Decimal = Field(..., description="The shop's direct price of one unit.")
    partner_total: Decimal
    direct_total: Decimal
    premium: Decimal = Field(..., description="What buying direct costs over the partner price.")
    premium_percent: Decimal


class RenewalOptionsOut(Schema):
    licence: LicenceOut
    renewable: bool = Field(
        ...,
        description="False once only a new subscription can replace it (a product not "
        "renewable after expiry, past its end date), or while it is suspended.",
    )
    kind: str = Field(..., description="renewal, or new_subscription")
    credits_quote: QuoteOut | None = Field(
        None, description="Renewing one term with Digital Locker credits."
    )
    credits_refusal: str
    shop: PricesOut = Field(..., alias="prices")
    partners: list[PartnerOut] = Field(..., description="The directory, recommended first.")
    next_reminder_on: date | None


class RenewalRequestIn(InputSchema):
    partner: Id = Field(..., description="A partner's id from `GET /partners`.")
    message: Message = ""
    include_contact: Flag = Field(
        False, description="Share your name, e-mail address and company with the partner."
    )


class ContactOut(Schema):
    name: str
    email: str
    company: str


class RenewalRequestOut(Schema):
    """A renewal request as both sides see it: entitlement information, and the requester's
    contact only if they included it."""

    id: UUID = Field(..., alias="public_id")
    partner: str
    kind: str
    status: str
    subscription_id: str
    sku: str = Field(..., alias="sku.code")
    quantity: int
    start_date: date
    end_date: date
    message: str
    contact: ContactOut | None
    created_at: datetime
    answer: str
    answered_at: datetime | None

    @staticmethod
    def resolve_partner(obj) -> str:
        return obj.partner.name

    @staticmethod
    def resolve_contact(obj) -> dict | None:
        if not obj.includes_contact:
            return None
        return {
            "name": obj.contact_name,
            "email": obj.contact_email,
            "company": obj.contact_company,
        }


class AnswerIn(InputSchema):
    answer: Message


class PartnerMailIn(InputSchema):
    partner: Id = Field(..., description="A partner's id from `GET /partners`.")
    message: Message


class PartnerMailOut(Schema):
    sent_to: str


class ShopOrderIn(InputSchema):
    idempotency_key: Key = Field(..., description="The same order sent twice is placed once.")


class ShopOrderOut(Schema):
    id: UUID = Field(..., alias="public_id")
    po_number: str = Field(..., alias="po.po_number")
    activation_id: str = Field(..., alias="licence.activation_id")
    kind: str
    status: str
    outcome: str
    placed_at: datetime
    total: Decimal = Field(..., description="At the direct price.", alias="po.total")


class SoldExpiryOut(Schema):
    subscription_id: str
    product: str
    sku: str
    quantity: int
    start_date: date
    end_date: date = Field(..., description="The first day not covered.")
    po_number: str
    status: str = Field(..., description="active, expiring, grace or expired")
    days_left: int
    colour: str

    @staticmethod
    def resolve_status(obj) -> str:
        return str(obj.status.status)

    @staticmethod
    def resolve_days_left(obj) -> int:
        return obj.status.days_left

    @staticmethod
    def resolve_colour(obj) -> str:
        return obj.status.colour
