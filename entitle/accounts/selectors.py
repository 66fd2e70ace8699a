from typing import Annotated, Literal

from django.db.models import Q, QuerySet
from django.utils import timezone
from pydantic import Field

from entitle.accounts.errors import InvitationNotFound
from entitle.accounts.models import (
    ApiToken,
    Company,
    IdentityProvider,
    Invitation,
    SsoDomain,
    User,
    hash_token,
)
from entitle.core import links, statements
from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.listing import Filter, Listing, Sort
from entitle.core.policy import Action

INVITATION_LINK = "accounts.invitation"


def coworker_list(*, actor: Actor) -> QuerySet[User]:
    return (
        User.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company, is_active=True, is_service_account=False)
        .select_related("company")
        .order_by("name", "email")
    )


def invitation_list(*, actor: Actor, pending_only: bool = False) -> QuerySet[Invitation]:
    invitations = (
        Invitation.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company)
        .select_related("invited_by")
    )
    if pending_only:
        invitations = invitations.filter(
            status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        )
    return invitations


def invitation_get(*, actor: Actor, public_id: str, action: Action = Action.VIEW) -> Invitation:
    try:
        return Invitation.objects.visible_to(actor, action).get(public_id=public_id)
    except (Invitation.DoesNotExist, ValueError) as exc:
        raise NotFound("No such invitation.") from exc


def invitation_token(invitation: Invitation) -> str:
    """The secret in an invitation link: the invitation's id signed with the server's key,
    so nothing secret is stored and a forged or altered link is refused."""
    return links.sign(str(invitation.public_id), purpose=INVITATION_LINK)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names, whatever its state; the link itself is the credential."""
    try:
        public_id = links.unsign(token, purpose=INVITATION_LINK)
        return Invitation.objects.select_related("company", "invited_by").get(public_id=public_id)
    except (links.BadLink, Invitation.DoesNotExist, ValueError) as exc:
        raise InvitationNotFound() from exc


def api_token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    """The company's own tokens (vendor staff see every company's in the back office)."""
    return (
        ApiToken.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company)
        .select_related("created_by", "user")
    )


def service_account_list(*, actor: Actor) -> QuerySet[User]:
    """The company's service accounts, for its administrators (who may change its users)."""
    return User.objects.visible_to(actor, Action.CHANGE).filter(
        company=actor.company, is_service_account=True
    )


# Every API request runs this: compiled once (see entitle.core.statements).
ACTIVE_TOKEN = statements.Select(
    ApiToken, related=("company", "user"), where="t.key_hash = %s AND t.revoked_at IS NULL"
)


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret. This is what establishes an API actor, so it cannot
    start from `visible_to` (there is no actor yet); it checks everything an actor needs: not
    revoked, not expired, and its account still active in the token's company."""
    token = ACTIVE_TOKEN.one([hash_token(secret)])
    if token is None:
        return None
    account = token.user
    if not token.is_active or not account.is_active or account.company_id != token.company_id:
        return None
    account.company = token.company  # the same row: not joined twice
    return token


def company_list(*, actor: Actor) -> QuerySet[Company]:
    return Company.objects.visible_to(actor, Action.VIEW)


def company_get(*, actor: Actor, company_id: int) -> Company:
    try:
        return company_list(actor=actor).get(pk=company_id)
    except Company.DoesNotExist as exc:
        raise NotFound(f"No company {company_id}.") from exc


def identity_provider_of(*, actor: Actor, company_id: int | None = None) -> IdentityProvider | None:
    """A company's identity provider (the actor's own company by default), with its domains,
    for those who may set it up: its administrators and vendor staff."""
    provider = (
        IdentityProvider.objects.visible_to(actor, Action.CHANGE)
        .filter(company_id=company_id or actor.company.pk)
        .first()
    )
    if provider is not None:
        provider.domain_names = list(
            SsoDomain.objects.visible_to(actor, Action.VIEW)
            .filter(provider=provider)
            .values_list("domain", flat=True)
        )
    return provider


# --- Lists (entitle.core.listing): what each of them searches, sorts and filters by.


def _now():
    return timezone.now()


def _invitation_status(rows: QuerySet, status: str) -> QuerySet:
    """A pending invitation past its date is listed as what it is: expired."""
    if status == "pending":
        return rows.filter(status=Invitation.Status.PENDING, expires_at__gt=_now())
    if status == "expired":
        return rows.filter(
            Q(status=Invitation.Status.EXPIRED)
            | Q(status=Invitation.Status.PENDING, expires_at__lte=_now())
        )
    return rows.filter(status=status)


def _token_status(rows: QuerySet, status: str) -> QuerySet:
    live = Q(revoked_at__isnull=True)
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=_now())
    return rows.filter(
        {"active": live & unexpired, "expired": live & ~unexpired, "revoked": ~live}[status]
    )


COWORKERS = Listing(
    search=lambda text: Q(name__icontains=text) | Q(email__icontains=text),
    search_hint="Name or e-mail",
    sorts={
        "name": Sort("Name", "name"),
        "email": Sort("Email", "email"),
        "joined": Sort("Joined", "date_joined"),
    },
    default="name",
    filters={
        "role": Filter(
            "Role", Literal[tuple(User.Role.values)], lambda rows, role: rows.filter(role=role)
        ),
    },
)

INVITATIONS = Listing(
    search=lambda text: Q(email__icontains=text) | Q(invited_by__name__icontains=text),
    search_hint="E-mail, or who invited",
    sorts={
        "sent": Sort("Sent", "created_at"),
        "expires": Sort("Expires", "expires_at"),
        "email": Sort("Email", "email"),
    },
    default="-sent",
    filters={
        "status": Filter("Status", Literal[tuple(Invitation.Status.values)], _invitation_status),
    },
)

# The token's secret is never searched: only its name and the first characters every list of
# tokens shows anyway.
API_TOKENS = Listing(
    search=lambda text: Q(name__icontains=text) | Q(prefix__istartswith=text.rstrip("…")),
    search_hint="Name or the token's first characters",
    sorts={"created": Sort("Created", "created_at"), "name": Sort("Name", "name")},
    default="-created",
    filters={
        "status": Filter("Status", Literal["active", "expired", "revoked"], _token_status),
    },
)

SERVICE_ACCOUNTS = Listing(
    search=lambda text: Q(name__icontains=text),
    search_hint="Name",
    sorts={"name": Sort("Name", "name"), "created": Sort("Created", "date_joined")},
    default="name",
    filters={
        "status": Filter(
            "Status",
            Literal["active", "deactivated"],
            lambda rows, status: rows.filter(is_active=status == "active"),
        ),
    },
)

COMPANIES = Listing(
    search=lambda text: Q(name__icontains=text),
    search_hint="Company name",
    sorts={
        "name": Sort("Name", "name"),
        "since": Sort("Since", "created_at"),
        "country": Sort("Country", "country"),
    },
    default="name",
    filters={
        "partner": Filter(
            "Partner",
            Literal["yes", "no"],
            lambda rows, answer: rows.filter(is_partner=answer == "yes"),
        ),
        "country": Filter(
            "Country (ISO code)",
            Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")],
            lambda rows, code: rows.filter(country__iexact=code),
        ),
    },
)
