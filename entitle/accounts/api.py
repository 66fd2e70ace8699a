from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from entitle.accounts import selectors, services
from entitle.accounts.schemas import (
    AcceptIn,
    CompanyOut,
    CoworkerOut,
    ErrorOut,
    IdentityProviderIn,
    IdentityProviderOut,
    InvitationIn,
    InvitationOut,
    RegisteredOut,
    ServiceAccountIn,
    ServiceAccountOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from entitle.accounts.services import sso
from entitle.core.errors import NotFound
from entitle.core.fields import Id
from entitle.core.listing import page_schema
from entitle.core.routing import reads_from_replica

router = Router(tags=["co-workers"])
# Tokens and service accounts: company administrators, from a portal session only.
token_router = Router(tags=["integrations"])
TOKEN_ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post(
    "/invitations",
    response={201: InvitationOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Invite a co-worker",
    description=(
        "Error codes: `email_required`, `email_invalid` (422), `already_invited` (409), "
        "`rate_limited` (429)."
    ),
)
def invitation_create(request: HttpRequest, payload: InvitationIn):
    return 201, services.invitation_create(actor=request.auth, email=payload.email)


@router.get(
    "/invitations",
    response={200: page_schema(InvitationOut), 422: ErrorOut},
    summary="List your company's invitations",
    description="`status=pending` lists those still open (a pending one past its date is "
    "`expired`).",
)
@reads_from_replica
def invitation_list(request: HttpRequest, params: Query[selectors.INVITATIONS.Params]):
    return selectors.INVITATIONS.page(selectors.invitation_list(actor=request.auth), params)


@router.get("/invitations/{uuid:invitation_id}", response={200: InvitationOut, 404: ErrorOut})
def invitation_get(request: HttpRequest, invitation_id: UUID):
    return selectors.invitation_get(actor=request.auth, public_id=invitation_id)


@router.post(
    "/invitations/{uuid:invitation_id}/revoke",
    response={200: InvitationOut, 404: ErrorOut, 410: ErrorOut},
    summary="Revoke a pending invitation",
)
def invitation_revoke(request: HttpRequest, invitation_id: UUID):
    return services.invitation_revoke(actor=request.auth, public_id=invitation_id)


@router.post(
    "/invitations/accept",
    auth=None,
    response={201: RegisteredOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut, 422: ErrorOut},
    summary="Register through an invitation",
    description="`token` is the last part of the invitation link sent by e-mail.",
)
def invitation_accept(request: HttpRequest, payload: AcceptIn):
    invitation = selectors.invitation_from_token(payload.token)
    user = services.invitation_accept(
        invitation=invitation, name=payload.name, password=payload.password
    )
    return 201, user


@router.get(
    "/coworkers",
    response={200: page_schema(CoworkerOut), 422: ErrorOut},
    summary="List your company's users",
)
@reads_from_replica
def coworker_list(request: HttpRequest, params: Query[selectors.COWORKERS.Params]):
    return selectors.COWORKERS.page(selectors.coworker_list(actor=request.auth), params)


@router.get(
    "/companies",
    response={200: page_schema(CompanyOut), 422: ErrorOut},
    tags=["companies"],
    summary="Companies you can see (your own; every one for vendor staff)",
    description="Vendor staff find a company's id by its name: `?q=northwind`.",
)
def company_list(request: HttpRequest, params: Query[selectors.COMPANIES.Params]):
    return selectors.COMPANIES.page(selectors.company_list(actor=request.auth), params)


@token_router.get(
    "/tokens",
    response={200: page_schema(TokenOut), 422: ErrorOut},
    summary="Your company's API tokens",
)
def token_list(request: HttpRequest, params: Query[selectors.API_TOKENS.Params]):
    return selectors.API_TOKENS.page(selectors.api_token_list(actor=request.auth), params)


@token_router.post(
    "/tokens",
    response={201: TokenCreatedOut, **TOKEN_ERRORS},
    summary="Create an API token (administrators, from a portal session)",
    description="The secret is in this answer only. Errors: `scopes_invalid`, `expiry_in_past`, "
    "`name_required` (422); `scope_not_grantable` (403: back-office scopes need a vendor-staff "
    "creator and account); `session_required` (403: a token cannot make tokens).",
)
def token_create(request: HttpRequest, payload: TokenIn):
    token, secret = services.api_token_create(
        actor=request.auth,
        name=payload.name,
        scopes=payload.scopes,
        service_account_id=payload.service_account,
        expires_at=payload.expires_at,
    )
    token.secret = secret
    return 201, token


@token_router.post(
    "/tokens/{int:token_id}/revoke",
    response={200: TokenOut, **TOKEN_ERRORS},
    summary="Revoke an API token: it stops working at once",
)
def token_revoke(request: HttpRequest, token_id: Id):
    return services.api_token_revoke(actor=request.auth, token_id=token_id)


@token_router.get(
    "/service-accounts",
    response={200: page_schema(ServiceAccountOut), 422: ErrorOut},
    summary="Your company's service accounts (accounts of other systems, with tokens only)",
)
def service_account_list(request: HttpRequest, params: Query[selectors.SERVICE_ACCOUNTS.Params]):
    return selectors.SERVICE_ACCOUNTS.page(
        selectors.service_account_list(actor=request.auth), params
    )


@token_router.post(
    "/service-accounts",
    response={201: ServiceAccountOut, **TOKEN_ERRORS},
    summary="Create a service account (administrators, from a portal session)",
)
def service_account_create(request: HttpRequest, payload: ServiceAccountIn):
    return 201, services.service_account_create(
        actor=request.auth,
        name=payload.name,
        role=payload.role,
        back_office=payload.back_office,
    )


@token_router.post(
    "/service-accounts/{int:account_id}/deactivate",
    response={200: ServiceAccountOut, **TOKEN_ERRORS},
    summary="Deactivate a service account: its tokens stop working at once",
)
def service_account_deactivate(request: HttpRequest, account_id: Id):
    return services.service_account_deactivate(actor=request.auth, account_id=account_id)


@token_router.get(
    "/companies/{int:company_id}/identity-provider",
    response={200: IdentityProviderOut, 404: ErrorOut},
    summary="A company's single sign-on set-up (its administrators; vendor staff: any)",
)
def identity_provider_get(request: HttpRequest, company_id: Id):
    provider = selectors.identity_provider_of(actor=request.auth, company_id=company_id)
    if provider is None:
        raise NotFound("No identity provider is set up for this company.")
    return provider


@token_router.put(
    "/companies/{int:company_id}/identity-provider",
    response={200: IdentityProviderOut, **TOKEN_ERRORS, 409: ErrorOut},
    summary="Set up a company's single sign-on through its OpenID Connect provider",
    description="The provider's discovery document is fetched at once. Errors: "
    "`issuer_unusable`, `url_refused`, `domains_invalid`, `field_required` (422); "
    "`domain_taken` (409).",
)
def identity_provider_put(request: HttpRequest, company_id: Id, payload: IdentityProviderIn):
    company = selectors.company_get(actor=request.auth, company_id=company_id)
    sso.provider_save(actor=request.auth, company=company, **payload.dict())
    return selectors.identity_provider_of(actor=request.auth, company_id=company_id)
