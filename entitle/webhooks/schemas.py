from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from entitle.core.fields import Code, Flag, InputSchema, Line, Url


class EventTypeOut(Schema):
    name: str
    description: str


class EndpointIn(InputSchema):
    url: Url = Field(..., description="https:// only; private and local addresses are refused.")
    event_types: list[Code] = Field(
        ..., max_length=50, description="Names from `GET /webhooks/event-types`."
    )
    description: Line = ""


class EndpointPatch(InputSchema):
    url: Url | None = None
    event_types: list[Code] | None = Field(None, max_length=50)
    description: Line | None = None
    enabled: Flag | None = Field(
        None, description="Enable a disabled endpoint (its failure count starts afresh)."
    )


class EndpointOut(Schema):
    id: UUID = Field(..., alias="public_id")
    url: str
    description: str
    event_types: list[str]
    status: str
    disabled_reason: str
    consecutive_failures: int
    every_company: bool = Field(
        ...,
        alias="staff_view",
        description="Made with the back office's rights: receives every company's events.",
    )
    created_at: datetime


class EndpointSecretOut(EndpointOut):
    secret: str = Field(
        ...,
        description="The Standard Webhooks signing secret (`whsec_…`), shown here only once.",
    )


class AttemptOut(Schema):
    number: int
    attempted_at: datetime
    manual: bool
    succeeded: bool
    response_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: UUID = Field(..., alias="public_id")
    message_id: str = Field(..., description="The `webhook-id` header, the same every attempt.")
    event_type: str
    status: str = Field(..., description="pending, succeeded or failed")
    attempts: int
    last_response_code: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict
    attempt_log: list[AttemptOut] = Field(..., alias="visible_attempts")
