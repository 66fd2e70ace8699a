"""The JSON API under /api/v1/: one NinjaAPI, its routers, and the one error format."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from entitle.accounts.api import router as accounts_router
from entitle.accounts.auth import API_AUTH
from entitle.catalog.api import router as catalog_router
from entitle.core.errors import DomainError
from entitle.licensing.api import device_router, product_router
from entitle.licensing.api import router as licensing_router
from entitle.locker.api import router as locker_router
from entitle.orders.api import router as orders_router
from entitle.renewals.api import router as renewals_router
from entitle.sharing.api import activity_router
from entitle.sharing.api import router as sharing_router

api = NinjaAPI(
    title="Entitle API",
    version="1",
    description=(
        "Licences, entitlements, vouchers and the credit locker. Authenticate with a company "
        "API token (`Authorization: Bearer ent_…`) or a portal session (send the CSRF token "
        'on unsafe methods). Errors are `{"code", "message"}` with a 4xx status.'
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "payload"))
    message = f"{where}: {first.get('msg', 'invalid')}" if where else "The request is not valid."
    return api.create_response(
        request, {"code": "invalid_request", "message": message, "errors": exc.errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request,
        {"code": "unauthenticated", "message": "Log in or send a valid API token."},
        status=401,
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"code": "not_found", "message": "Not found."}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    if exc.status_code == 403 and "CSRF" in str(exc):
        body = {"code": "csrf_failed", "message": "Send the CSRF token with a session request."}
    else:
        body = {"code": "error", "message": str(exc)}
    return api.create_response(request, body, status=exc.status_code)


api.add_router("/", accounts_router)
api.add_router("/catalog", catalog_router)
api.add_router("/", orders_router)
api.add_router("/", locker_router)
api.add_router("/", licensing_router)
api.add_router("/", device_router)
api.add_router("/", product_router)
api.add_router("/", sharing_router)
api.add_router("/", activity_router)
api.add_router("/", renewals_router)
