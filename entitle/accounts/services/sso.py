"""Single sign-on through a company's own OpenID Connect identity provider.

A company administrator (or vendor staff) registers the provider — issuer, client id and
secret, the e-mail domains whose people sign in through it — and may turn passwords off for
the company. Authlib is the OpenID Connect client, configured per provider at run time: the
authorization-code flow with state, nonce and PKCE, and the ID token's signature, issuer,
audience, expiry and nonce checked against the provider's published keys.

A provider can only ever sign people into its own company: an address of another company's
account is refused, whatever the provider asserts, and a domain belongs to one provider at
most (and never to one while people of another company use it). The first sign-in of someone
new registers them through `user_register` (audited; `UserJoined` fires) without a password.

The provider's discovery document and keys are fetched through `entitle.core.outbound` (public
https addresses only); Authlib then calls its token endpoint, whose address was checked too.
"""

import re
from collections.abc import Iterable

from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.db import IntegrityError, transaction
from django.utils import timezone

from entitle.accounts.errors import (
    DomainsInvalid,
    DomainTaken,
    FieldRequired,
    IssuerUnusable,
    SsoRefused,
)
from entitle.accounts.models import (
    Company,
    ExternalIdentity,
    IdentityProvider,
    SsoDomain,
    User,
    normalize_email,
)
from entitle.accounts.services import user_register
from entitle.core import outbound, sealed
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.policy import Action

SEALED_AS = "accounts.identity-provider-secret"
SCOPE = "openid email profile"
TIMEOUT = 10.0
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _clean_domains(raw: Iterable[str] | str) -> list[str]:
    if isinstance(raw, str):
        raw = re.split(r"[\s,;]+", raw)
    domains = sorted({d.strip().lower().lstrip("@") for d in raw if d and d.strip()})
    bad = [d for d in domains if not DOMAIN.match(d)]
    if not domains or bad:
        message = f"Not an e-mail domain: {', '.join(bad)}." if bad else None
        raise DomainsInvalid(message, field="domains")
    return domains


def _check_domains_free(company: Company, domains: list[str]) -> None:
    taken = SsoDomain.objects.filter(domain__in=domains).exclude(provider__company=company)
    if taken.exists():
        raise DomainTaken(f"{taken.first().domain} signs in through another company.")
    for domain in domains:
        elsewhere = User.objects.filter(email__iendswith=f"@{domain}").exclude(company=company)
        if elsewhere.exists():
            raise DomainTaken(
                f"People of another company have addresses at {domain}: it cannot sign in "
                "through this company's provider."
            )


def provider_metadata(issuer: str) -> dict:
    """The provider's discovery document with its keys (`jwks`), checked: it must name the
    issuer it was fetched for, and every endpoint must be a URL the server may call."""
    issuer = issuer.rstrip("/")
    try:
        metadata = outbound.get_json(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        if str(metadata.get("issuer", "")).rstrip("/") != issuer:
            raise IssuerUnusable("The provider's discovery document names another issuer.")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(key), str):
                raise IssuerUnusable(f"The provider's discovery document has no {key}.")
            outbound.check_url(metadata[key], field="issuer")
        metadata["jwks"] = outbound.get_json(metadata["jwks_uri"], timeout=TIMEOUT)
    except outbound.OutboundError as exc:
        raise IssuerUnusable(f"The provider could not be reached: {exc}") from exc
    return metadata


def provider_save(
    *,
    actor: Actor,
    company: Company,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    domains: Iterable[str] | str,
    sso_only: bool = False,
    enabled: bool = True,
) -> IdentityProvider:
    """Register or change a company's identity provider (its administrators, or vendor staff).
    The provider is asked for its discovery document first, so a typo shows at once. A blank
    `client_secret` keeps the one saved."""
    if not Company.objects.visible_to(actor, Action.CHANGE).filter(pk=company.pk).exists():
        raise NotFound()
    issuer = outbound.check_url(issuer, field="issuer").rstrip("/")
    client_id = (client_id or "").strip()
    if not client_id:
        raise FieldRequired("Enter the client id the provider gave you.", field="client_id")
    cleaned = _clean_domains(domains)
    provider_metadata(issuer)
    with transaction.atomic():
        provider = IdentityProvider.objects.select_for_update().filter(
            company=company
        ).first() or IdentityProvider(company=company)
        if not (client_secret or "").strip() and provider.pk is None:
            raise FieldRequired(
                "Enter the client secret the provider gave you.", field="client_secret"
            )
        before = _state(provider) if provider.pk else None
        provider.issuer, provider.client_id = issuer, client_id
        if (client_secret or "").strip():
            provider.client_secret_sealed = sealed.seal(client_secret.strip(), purpose=SEALED_AS)
        provider.sso_only, provider.enabled = sso_only, enabled
        provider.updated_at = timezone.now()
        provider.save()
        _check_domains_free(company, cleaned)
        SsoDomain.objects.filter(provider=provider).exclude(domain__in=cleaned).delete()
        try:
            with transaction.atomic():
                for domain in cleaned:
                    SsoDomain.objects.get_or_create(provider=provider, domain=domain)
        except IntegrityError as exc:
            raise DomainTaken("One of these domains signs in through another company.") from exc
        record(
            actor=actor,
            action=AuditAction.IDENTITY_PROVIDER_SAVED,
            obj=provider,
            company=company,
            before=before,
            after=_state(provider, cleaned),
        )
    return provider


def _state(provider: IdentityProvider, domains: list[str] | None = None) -> dict:
    if domains is None:
        domains = list(SsoDomain.objects.filter(provider=provider).values_list("domain", flat=True))
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "domains": domains,
        "sso_only": provider.sso_only,
        "enabled": provider.enabled,
    }


# --- Signing in. These establish who is asking: there is no actor yet. ---


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider the address signs in through, if any."""
    domain = normalize_email(email).rpartition("@")[2]
    found = (
        SsoDomain.objects.filter(domain=domain, provider__enabled=True)
        .select_related("provider__company")
        .first()
    )
    return found.provider if found else None


def provider_for_sign_in(provider_id: int) -> IdentityProvider:
    provider = (
        IdentityProvider.objects.filter(pk=provider_id, enabled=True)
        .select_related("company")
        .first()
    )
    if provider is None:
        raise SsoRefused("Single sign-on is no longer set up for your company.")
    return provider


def password_refused(user: User) -> bool:
    """Whether the user's company signs in only through its identity provider."""
    return IdentityProvider.objects.filter(
        company_id=user.company_id, enabled=True, sso_only=True
    ).exists()


def client(provider: IdentityProvider) -> DjangoOAuth2App:
    """Authlib's OpenID Connect client for the provider, with its checked metadata and keys."""
    metadata = provider_metadata(provider.issuer)
    return OAuth().register(
        name=f"provider-{provider.pk}",
        client_id=provider.client_id,
        client_secret=sealed.unseal(provider.client_secret_sealed, purpose=SEALED_AS),
        client_kwargs={"scope": SCOPE, "timeout": TIMEOUT, "code_challenge_method": "S256"},
        **metadata,
    )


def sign_in(*, provider: IdentityProvider, claims: dict) -> User:
    """The account the provider vouched for: the one linked to its subject, or the company's
    account with that address (linked now), or a new account in the company."""
    subject = str(claims.get("sub") or "")
    email = normalize_email(str(claims.get("email") or ""))
    if not subject:
        raise SsoRefused("Your identity provider did not say who you are.")
    if claims.get("email_verified") is False:
        raise SsoRefused("Your identity provider has not verified your e-mail address.")
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .filter(provider=provider, subject=subject)
            .select_related("user")
            .first()
        )
        if identity is None:
            identity = _link(provider=provider, subject=subject, email=email, claims=claims)
        user = identity.user
        if not user.is_active or user.company_id != provider.company_id:
            raise SsoRefused("This account cannot sign in here. Please ask your administrator.")
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
    return user


def _link(*, provider: IdentityProvider, subject: str, email: str, claims: dict):
    domains = set(SsoDomain.objects.filter(provider=provider).values_list("domain", flat=True))
    if email.rpartition("@")[2] not in domains:
        raise SsoRefused(
            f"Your identity provider vouched for {email or 'no address'}, which is not an "
            f"address of {provider.company.name}."
        )
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_register(
            company=provider.company,
            email=email,
            name=str(claims.get("name") or email.partition("@")[0])[:150],
            password=None,
            through=f"single sign-on ({provider.issuer})",
        )
    elif user.company_id != provider.company_id or user.is_service_account:
        raise SsoRefused("An account with this address belongs to another company.")
    identity = ExternalIdentity.objects.create(provider=provider, subject=subject, user=user)
    record(
        actor=Actor.for_user(user),
        action=AuditAction.SSO_IDENTITY_LINKED,
        obj=identity,
        company=provider.company,
        after={"issuer": provider.issuer, "email": email},
    )
    return identity
