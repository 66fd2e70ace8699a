from uuid import UUID

from django.http import HttpRequest
from ninja import Router

from entitle.accounts import selectors, services
from entitle.accounts.schemas import (
    AcceptIn,
    CompanyOut,
    CoworkerOut,
    ErrorOut,
    InvitationIn,
    InvitationOut,
    RegisteredOut,
)
from entitle.core.routing import reads_from_replica

router = Router(tags=["co-workers"])


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


@router.get("/invitations", response=list[InvitationOut], summary="List your company's invitations")
@reads_from_replica
def invitation_list(request: HttpRequest, pending: bool = False):
    return selectors.invitation_list(actor=request.auth, pending_only=pending)


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


@router.get("/coworkers", response=list[CoworkerOut], summary="List your company's users")
@reads_from_replica
def coworker_list(request: HttpRequest):
    return selectors.coworker_list(actor=request.auth)


@router.get(
    "/companies",
    response=list[CompanyOut],
    tags=["companies"],
    summary="Companies you can see (your own; every one for vendor staff)",
)
def company_list(request: HttpRequest):
    return selectors.company_list(actor=request.auth)
