"""Who is asking. Built once per request (portal session) or per API token, then passed to every
selector and service so that the policy (`entitle.core.policy`) can apply.

The actor only holds the user, company and token objects it was built from; it knows no domain
app (core sits below them all), so it reads the few attributes it needs by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Actor:
    user: Any | None
    company: Any | None
    token: Any | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.company is not None

    @property
    def is_vendor_staff(self) -> bool:
        # An API token never carries staff rights, so that a leaked token cannot reach every
        # customer's data; who counts as staff is the user's own rule (`User.is_vendor_staff`).
        return self.token is None and self.user is not None and self.user.is_vendor_staff

    @property
    def is_company_admin(self) -> bool:
        return self.user is not None and self.user.is_company_admin

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user=None, company=None)

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        if not user.is_authenticated or not user.is_active:
            return cls.anonymous()
        return cls(user=user, company=user.company)

    @classmethod
    def for_token(cls, token: Any) -> Actor:
        return cls(user=token.created_by, company=token.company, token=token)
