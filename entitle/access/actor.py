from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from entitle.accounts.models import ApiToken, Company, User


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: built once per request (session) or per API token, then passed to every
    selector and service so that the policy can apply."""

    user: User | None
    company: Company | None
    token: ApiToken | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.company is not None

    @property
    def is_vendor_staff(self) -> bool:
        # Vendor staff act for the vendor through the portal; an API token never carries
        # staff rights, so that a leaked token cannot reach every customer's data.
        return (
            self.token is None
            and self.user is not None
            and self.user.is_staff
            and self.company is not None
            and self.company.is_vendor
        )

    @property
    def is_company_admin(self) -> bool:
        return self.user is not None and self.user.is_company_admin

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user=None, company=None)

    @classmethod
    def for_user(cls, user: User) -> Actor:
        if not user.is_authenticated or not user.is_active:
            return cls.anonymous()
        return cls(user=user, company=user.company)

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls(user=token.created_by, company=token.company, token=token)
