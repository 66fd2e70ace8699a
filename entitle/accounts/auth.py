"""How the API knows who is calling, and what a token may do there.

Every route is reached with a company API token (Bearer) or the portal session. A token also
needs the route's **scope** (`entitle.accounts.scopes`): an area's `read` scope for a GET, its
`write` scope for anything else, or a named scope for the back office's routes. The scope a
route needs is declared once — per area where `config/api.py` mounts a router
(`auth=scoped("orders")`), or on a route (`auth=needs(scopes.PO_RECORD)`) — and checked here,
before the route runs; `ScopedOpenAPISchema` writes it into the OpenAPI schema. A session
may do whatever its user may (the services and the access policy decide).
"""

from django.http import HttpRequest
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer, SessionAuth

from entitle.accounts import scopes, signin
from entitle.accounts.errors import ScopeMissing, SessionRequired
from entitle.accounts.models import ApiToken
from entitle.accounts.selectors import api_token_authenticate
from entitle.accounts.services import api_token_record_use
from entitle.core.actor import Actor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """A company API token with the scope the route needs (`read` for safe methods, `write`
    otherwise). A route without a scope is for portal sessions only."""

    openapi_scheme = "bearer"

    def __init__(self, *, read: str | None = None, write: str | None = None) -> None:
        super().__init__()
        self.read = read
        self.write = write

    def required_scope(self, method: str) -> str | None:
        return self.read if method.upper() in SAFE_METHODS else self.write

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        api_token = _usable_token(request, token)
        if api_token is None:
            # A wrong token is a failed sign-in of an unknown account: limited per client.
            signin.failed(client=signin.client_of(request))
            return None
        actor = Actor.for_token(api_token)
        needed = self.required_scope(request.method or "GET")
        if needed is None:
            raise SessionRequired()
        if not actor.has_scope(needed):
            raise ScopeMissing(needed)
        return _admit(request, api_token, actor)


def _usable_token(request: HttpRequest, secret: str) -> ApiToken | None:
    # A client that failed too often is refused, whatever its token: looked up meanwhile (a
    # read), so that the two round trips, to the cache and to the database, overlap.
    with signin.checked_during(client=signin.client_of(request)):
        return api_token_authenticate(secret)


def _admit(request: HttpRequest, api_token: ApiToken, actor: Actor) -> Actor:
    api_token_record_use(api_token)
    request.actor = actor
    return actor


def token_actor(request: HttpRequest, secret: str, scope: str) -> Actor | None:
    """The actor of a token that has `scope`, admitted as `TokenAuth` admits it — or None for
    any token `TokenAuth` would not admit (unknown, revoked, without the scope), which is then
    left to `TokenAuth` to refuse and count (entitle.accounts.token_routes)."""
    api_token = _usable_token(request, secret)
    if api_token is None:
        return None
    actor = Actor.for_token(api_token)
    if not actor.has_scope(scope):
        return None
    return _admit(request, api_token, actor)


class PortalSessionAuth(SessionAuth):
    """The logged-in portal user; unsafe methods need the CSRF token, as in the portal."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie there is nothing to forge: answer "unauthenticated"
        # rather than a CSRF failure.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if key is None:
            return None
        user = super().authenticate(request, key)
        if not user:
            return None
        request.actor = Actor.for_user(user)
        return request.actor if request.actor.is_authenticated else None


session_auth = PortalSessionAuth()


def scoped(area: str) -> list:
    """The authentication of an area's routes: a token with `area:read` (GET) or `area:write`."""
    return [
        TokenAuth(read=scopes.scope(area, scopes.READ), write=scopes.scope(area, scopes.WRITE)),
        session_auth,
    ]


def needs(scope: str) -> list:
    """The authentication of a route that needs one named scope, whatever its method."""
    if scope not in scopes.ALL:
        raise ValueError(f"unknown scope {scope}")
    return [TokenAuth(read=scope, write=scope), session_auth]


# For portal sessions only (managing tokens and service accounts). It is also the API's default:
# a route mounted without a scope is never open to every token by accident.
SESSION_ONLY = [TokenAuth(), session_auth]


class ScopedOpenAPISchema(OpenAPISchema):
    """The OpenAPI schema with the scope each route needs in its security requirement (OpenAPI
    3.1 lets a bearer scheme list the roles a route requires), and every scope described."""

    def operation_security(self, operation) -> list[dict] | None:
        security = super().operation_security(operation)
        if not security:
            return security
        method = operation.methods[0]
        for auth, requirement in zip(
            [a for a in operation.auth_callbacks if hasattr(a, "openapi_security_schema")],
            security,
            strict=True,
        ):
            if isinstance(auth, TokenAuth):
                needed = auth.required_scope(method)
                requirement[type(auth).__name__] = [needed] if needed else []
        if "TokenAuth" in self.securitySchemes:
            self.securitySchemes["TokenAuth"] = {
                **self.securitySchemes["TokenAuth"],
                "description": _scopes_description(),
            }
        return security


def _scopes_description() -> str:
    lines = [
        "A company API token: `Authorization: Bearer ent_…`. Each route lists the scope it "
        "needs; a token without it gets 403 `insufficient_scope`. Scopes:",
        "",
    ]
    lines += [f"- `{name}`: {label}" for name, label in scopes.ALL.items()]
    lines += [
        "",
        "`backoffice:` scopes are for the vendor's own systems: only vendor staff can give "
        "them, to a token acting as a vendor-staff account.",
    ]
    return "\n".join(lines)
