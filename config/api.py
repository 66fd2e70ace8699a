"""The JSON API under /api/v1/: one NinjaAPI, its routers, and the one error format."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from entitle.accounts.api import router as accounts_router
from entitle.accounts.api import token_router
from entitle.accounts.auth import SESSION_ONLY, ScopedOpenAPISchema, scoped
from entitle.catalog.api import router as catalog_router
from entitle.core.api_errors import error_for_status, error_response
from entitle.core.errors import DomainError, PermissionDenied, RequestInvalid, Unauthenticated
from entitle.core.jsonbody import StrictJsonParser
from entitle.licensing.api import device_router, entitlement_router, product_router
from entitle.licensing.api import router as licensing_router
from entitle.locker.api import router as locker_router
from entitle.orders.api import router as orders_router
from entitle.renewals.api import router as renewals_router
from entitle.sharing.api import activity_router
from entitle.sharing.api import router as sharing_router
from entitle.webhooks.api import router as webhooks_router


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = "Send the CSRF token with a session request."


class EntitleAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None) -> ScopedOpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ScopedOpenAPISchema(self, path_prefix)


api = EntitleAPI(
    title="Entitle API",
    version="1",
    description=(
        "Licences, entitlements, vouchers and the credit locker. Authenticate with a company "
        "API token (`Authorization: Bearer ent_…`) that has the route's scope, or a portal "
        'session (send the CSRF token on unsafe methods). Errors are `{"code", "message"}` '
        "with a 4xx status."
    ),
    # A route mounted without a scope is for portal sessions only (see entitle.accounts.auth).
    auth=SESSION_ONLY,
    urls_namespace="api",
    docs_url="/docs",
    parser=StrictJsonParser(),
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return error_response(exc)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "payload"))
    message = f"{where}: {first.get('msg', 'invalid')}" if where else "The request is not valid."
    error = RequestInvalid(message)
    return error_response(error, {**error.as_dict(), "errors": exc.errors})


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    return error_response(Unauthenticated())


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return error_response(error_for_status(404))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    # Ninja wraps what its body parser raises (415, bad JSON) in an HttpError(400).
    if isinstance(exc.__cause__, DomainError):
        return error_response(exc.__cause__)
    if exc.status_code == 403 and "CSRF" in str(exc):
        return error_response(CsrfFailed())
    error = error_for_status(exc.status_code)
    return error_response(error, {"code": error.code, "message": str(exc) or error.message})


# Each area's routes need its scope (`area:read` for GET, `area:write` otherwise) unless a
# route names its own (the back office's) or needs no authentication (the product side).
api.add_router("/", accounts_router, auth=scoped("accounts"))
api.add_router("/", token_router, auth=SESSION_ONLY)
api.add_router("/catalog", catalog_router, auth=scoped("catalog"))
api.add_router("/", orders_router, auth=scoped("orders"))
api.add_router("/", locker_router, auth=scoped("locker"))
api.add_router("/", licensing_router, auth=scoped("licences"))
api.add_router("/", device_router, auth=scoped("devices"))
api.add_router("/", product_router)
api.add_router("/", entitlement_router, auth=scoped("orders"))
api.add_router("/", sharing_router, auth=scoped("sharing"))
api.add_router("/", activity_router, auth=scoped("activity"))
api.add_router("/", renewals_router, auth=scoped("renewals"))
api.add_router("/", webhooks_router, auth=scoped("webhooks"))
