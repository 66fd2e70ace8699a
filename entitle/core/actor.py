"""Who is asking. Built once per request (portal session) or per API token, then passed to every
selector and service so that the policy (`entitle.core.policy`) can apply.

The actor only holds the user, company and token objects it was built from; it knows no domain
app (core sits below them all), so it reads the few attributes it needs by name.

An API token carries **scopes** (`entitle.accounts.scopes`): the API checks the scope a route
needs before it runs (`entitle.accounts.auth`). A token acts as its user (a person or a service
account) and never with more rights than that user has; vendor-staff rights in particular come
only with a back-office scope, so that a staff member's everyday token cannot read every
customer's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Scopes that carry the back office's rights (record and fulfil POs, suspend, void…).
BACK_OFFICE_PREFIX = "backoffice:"


@dataclass(frozen=True, slots=True)
class Actor:
    user: Any | None
    company: Any | None
    token: Any | None = None
    # None: a portal session, which may do whatever its user may. Otherwise the token's scopes.
    scopes: frozenset[str] | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.company is not None

    @property
    def is_vendor_staff(self) -> bool:
        # Who counts as staff is the user's own rule (`User.is_vendor_staff`), checked on every
        # request, so a token stops carrying staff rights the moment its user loses them.
        if self.user is None or not self.user.is_vendor_staff:
            return False
        return self.scopes is None or any(s.startswith(BACK_OFFICE_PREFIX) for s in self.scopes)

    @property
    def is_company_admin(self) -> bool:
        return self.user is not None and self.user.is_company_admin

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

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
        return cls(
            user=token.user, company=token.company, token=token, scopes=frozenset(token.scopes)
        )
