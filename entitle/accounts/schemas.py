from datetime import datetime
from uuid import UUID

from ninja import Schema

from entitle.core.fields import Email, InputSchema, Name, Password, Token


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
        # A pending invitation past its date is reported as what it is.
        if obj.status == "pending" and obj.is_expired():
            return "expired"
        return obj.status


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
