"""How the API knows who is calling: a company API token (Bearer) or the portal session."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from entitle.accounts import signin
from entitle.accounts.selectors import api_token_authenticate
from entitle.accounts.services import api_token_record_use
from entitle.core.actor import Actor


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        # A wrong token is a failed sign-in of an unknown account: limited per client.
        client = signin.client_of(request)
        signin.check(client=client)
        api_token = api_token_authenticate(token)
        if api_token is None:
            signin.failed(client=client)
            return None
        api_token_record_use(api_token)
        request.actor = Actor.for_token(api_token)
        return request.actor


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


token_auth = TokenAuth()
session_auth = PortalSessionAuth()
API_AUTH = [token_auth, session_auth]
