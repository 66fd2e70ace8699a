from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from entitle.core.fields import Email, InputSchema, Moment, Reference
from entitle.core.policy import redact_event


class ShareIn(InputSchema):
    email: Email
    role: str = Field(..., pattern="^(view|manage)$", max_length=6)
    expires_at: Moment | None = None


class GrantIn(ShareIn):
    scope: str = Field(..., pattern="^(all|po)$", max_length=3)
    po_number: Reference | None = None


class DelegationOut(Schema):
    id: UUID = Field(..., alias="public_id")
    role: str
    scope: str
    licence: UUID | None = Field(None, description="The shared licence's id (scope licence).")
    activation_id: str | None = Field(
        None, description="The shared licence's Activation ID: for its owner only."
    )
    po_number: str | None = None
    delegate: str | None = Field(None, description="The company it was shared with (owners only).")
    invited_email: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_licence(obj) -> UUID | None:
        return obj.licence.public_id if obj.licence_id else None

    @staticmethod
    def resolve_activation_id(obj, context) -> str | None:
        # The key is the owner's secret: a delegate learns the licence's id only.
        if obj.licence_id and obj.owner_id == context["request"].auth.company.pk:
            return obj.licence.activation_id
        return None

    @staticmethod
    def resolve_po_number(obj) -> str | None:
        return obj.po.po_number if obj.po_id else None

    @staticmethod
    def resolve_delegate(obj, context) -> str | None:
        # The delegate's name is for the owner; a delegate sees no names at all.
        actor = context["request"].auth
        if obj.owner_id == actor.company.pk and obj.delegate_id:
            return obj.delegate.name
        return None


class TransferIn(InputSchema):
    to_email: Email


class TransferOut(Schema):
    id: UUID = Field(..., alias="public_id")
    licence: UUID = Field(..., alias="licence.public_id", description="The licence's id.")
    from_company: str = Field(..., alias="from_company.name")
    to_company: str = Field(..., alias="to_company.name")
    status: str
    proposed_at: datetime
    decided_at: datetime | None


class ActivityOut(Schema):
    occurred_at: datetime
    action: str
    object_type: str
    object_repr: str
    actor: str | None = None
    before: dict | None
    after: dict | None

    @staticmethod
    def resolve_actor(obj) -> str | None:
        label = getattr(obj, "actor_label", None)
        return label or (obj.actor_user.email if obj.actor_user else None)

    @staticmethod
    def resolve_before(obj) -> dict | None:
        return redact_event(obj).before

    @staticmethod
    def resolve_after(obj) -> dict | None:
        return redact_event(obj).after


class ActivityPageOut(Schema):
    items: list[ActivityOut]
    next_cursor: str | None = Field(
        None,
        description="Pass it as `cursor` for the next page. With `order=oldest` there is always "
        "one: keep it and ask again later to get only what happened since.",
    )
