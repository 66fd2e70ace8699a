from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from entitle.accounts.schemas import ErrorOut
from entitle.core import paging
from entitle.core import selectors as core_selectors
from entitle.core.activity import ACTIVITY
from entitle.core.fields import Reference
from entitle.core.listing import page_schema
from entitle.core.routing import reads_from_replica
from entitle.licensing import selectors as licensing_selectors
from entitle.sharing import selectors, services
from entitle.sharing.schemas import (
    ActivityOut,
    ActivityPageOut,
    DelegationOut,
    GrantIn,
    ShareIn,
    TransferIn,
    TransferOut,
)

router = Router(tags=["sharing and transfer"])
activity_router = Router(tags=["activity"])
ERRORS = {404: ErrorOut, 409: ErrorOut, 410: ErrorOut, 422: ErrorOut}


@router.post(
    "/licences/{activation_id}/share",
    response={201: DelegationOut, **ERRORS},
    summary="Share licence information with a person, as view or manage",
)
def share(request: HttpRequest, activation_id: Reference, payload: ShareIn):
    return 201, services.delegation_grant(
        actor=request.auth,
        email=payload.email,
        role=payload.role,
        activation_id=activation_id,
        expires_at=payload.expires_at,
    )


@router.post(
    "/delegations",
    response={201: DelegationOut, **ERRORS},
    summary="Share all your licences, or those of one PO",
)
def grant(request: HttpRequest, payload: GrantIn):
    return 201, services.delegation_grant(
        actor=request.auth,
        email=payload.email,
        role=payload.role,
        scope=payload.scope,
        po_number=payload.po_number,
        expires_at=payload.expires_at,
    )


@router.get(
    "/delegations",
    response={200: page_schema(DelegationOut), 422: ErrorOut},
    summary="Delegations you gave and those given to you",
    description="Pages by cursor; `side=given` or `held` keeps one side, `state` active, "
    "expired or revoked ones. `q` searches PO numbers and invited addresses, and on what you "
    "gave, the delegate's name and the licence's Activation ID.",
)
@reads_from_replica
def delegation_list(request: HttpRequest, params: Query[selectors.DELEGATIONS.Params]):
    return selectors.DELEGATIONS.page(selectors.delegation_list(actor=request.auth), params)


@router.post(
    "/delegations/{uuid:delegation_id}/revoke",
    response={200: DelegationOut, **ERRORS},
    summary="Revoke a delegation: it ends at once",
)
def revoke(request: HttpRequest, delegation_id: UUID):
    return services.delegation_revoke(actor=request.auth, public_id=delegation_id)


@router.post(
    "/licences/{activation_id}/transfer",
    response={201: TransferOut, **ERRORS},
    summary="Offer the licence to another company",
)
def transfer_propose(request: HttpRequest, activation_id: Reference, payload: TransferIn):
    return 201, services.transfer_propose(
        actor=request.auth, activation_id=activation_id, to_email=payload.to_email
    )


@router.get(
    "/transfers",
    response={200: page_schema(TransferOut), 422: ErrorOut},
    summary="Transfers offered or received",
    description="Pages by cursor; filter by `status` and `direction` (offered or received); "
    "`q` searches the product and the companies' names.",
)
@reads_from_replica
def transfer_list(request: HttpRequest, params: Query[selectors.TRANSFERS.Params]):
    return selectors.TRANSFERS.page(selectors.transfer_list(actor=request.auth), params)


def _decide(service):
    def decide(request: HttpRequest, transfer_id: UUID):
        return service(actor=request.auth, public_id=transfer_id)

    return decide


for _name, _service in [
    ("accept", services.transfer_accept),
    ("decline", services.transfer_decline),
    ("cancel", services.transfer_cancel),
]:
    router.post(
        f"/transfers/{{uuid:transfer_id}}/{_name}",
        response={200: TransferOut, **ERRORS},
        summary=f"{_name.capitalize()} a transfer",
        operation_id=f"transfer_{_name}",
    )(_decide(_service))


@activity_router.get(
    "/activity",
    response={200: ActivityPageOut, 422: ErrorOut},
    summary="Your company's activity (administrators; vendor staff: all)",
    description="Pages by cursor. `order=newest` (the default) pages back in time; "
    "`order=oldest` pages forward and always returns a `next_cursor` to poll with.",
)
def company_activity(
    request: HttpRequest,
    cursor: paging.Cursor | None = None,
    limit: int = Query(50, ge=1, le=paging.MAX_LIMIT),
    order: paging.Order = "newest",
):
    events = core_selectors.company_activity(actor=request.auth)
    return paging.keyset_page(events, cursor=cursor, limit=limit, order=order)


class LicenceEventOut(ActivityOut):
    """An event of one licence's history."""


@activity_router.get(
    "/licences/{activation_id}/activity",
    response={200: page_schema(LicenceEventOut), 404: ErrorOut, 422: ErrorOut},
    summary="A licence's history (owner, manage delegates, vendor staff)",
    description="Newest first by default (`sort=when` for oldest first); pages by cursor.",
)
def licence_activity(
    request: HttpRequest, activation_id: Reference, params: Query[ACTIVITY.Params]
):
    _, events = licensing_selectors.licence_activity(
        actor=request.auth, activation_id=activation_id
    )
    return ACTIVITY.page(events, params)
