from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from entitle.core import links
from entitle.core.fields import (
    Code,
    Email,
    Flag,
    Id,
    InputSchema,
    Line,
    Moment,
    Name,
    Password,
    Token,
    Url,
)


class ErrorOut(Schema):
    code: str
    message: str


class InvitationIn(InputSchema):
    email: Email | None = None


class InvitationOut(Schema):
    id: UUID
    email: str
    status: str
    invited_by: str
    created_at: datetime
    expires_at: datetime

    @staticmethod
    def resolve_id(obj) -> UUID:
        return obj.public_id

    @staticmethod
    def resolve_invited_by(obj) -> str:
        return obj.invited_by.email

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.current_status


class AcceptIn(InputSchema):
    token: Token
    name: Name
    password: Password


class CoworkerOut(Schema):
    email: str
    name: str
    role: str
    date_joined: datetime


class RegisteredOut(Schema):
    email: str
    name: str
    company: str

    @staticmethod
    def resolve_company(obj) -> str:
        return obj.company.name


class CompanyOut(Schema):
    id: int
    name: str
    is_vendor: bool
    is_partner: bool
    country: str


class TokenIn(InputSchema):
    name: Name
    scopes: list[Code] = Field(
        ..., max_length=40, description="See the TokenAuth security scheme for the list."
    )
    service_account: Id | None = Field(
        None, description="Act as this service account (`GET /service-accounts`) instead of you."
    )
    expires_at: Moment | None = None


class TokenOut(Schema):
    id: int
    name: str
    token: str = Field(..., description="The first characters only: the secret is shown once.")
    acts_as: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    status: str

    @staticmethod
    def resolve_token(obj) -> str:
        return obj.masked

    @staticmethod
    def resolve_acts_as(obj) -> str:
        return obj.user.name

    @staticmethod
    def resolve_created_by(obj) -> str:
        return obj.created_by.email


class TokenCreatedOut(TokenOut):
    secret: str = Field(..., description="Shown here once and never again.")


class ServiceAccountIn(InputSchema):
    name: Name
    role: Literal["admin", "member"] = "member"
    back_office: Flag = Field(False, description="Vendor staff only: may hold back-office scopes.")


class ServiceAccountOut(Schema):
    id: int
    name: str
    role: str
    back_office: bool = Field(..., alias="is_staff")
    is_active: bool
    created_at: datetime = Field(..., alias="date_joined")


class IdentityProviderIn(InputSchema):
    issuer: Url = Field(..., description="The OpenID Connect issuer URL (https).")
    client_id: Line
    client_secret: Token | None = Field(None, description="Leave out to keep the saved one.")
    domains: list[Line] = Field(
        ..., max_length=50, description="E-mail domains that sign in through it."
    )
    sso_only: Flag = Field(False, description="Turn passwords off for the company's people.")
    enabled: Flag = True


class IdentityProviderOut(Schema):
    issuer: str
    client_id: str
    domains: list[str] = Field(..., alias="domain_names")
    sso_only: bool
    enabled: bool
    redirect_uri: str = Field(..., description="Register this redirect URI with the provider.")

    @staticmethod
    def resolve_redirect_uri(obj) -> str:
        return links.portal_url("accounts:sso_callback")
