"""Who may see and change companies, users, invitations and API tokens."""

from django.db.models import Q

from entitle.accounts.models import (
    ApiToken,
    Company,
    ExternalIdentity,
    IdentityProvider,
    Invitation,
    SsoDomain,
    User,
)
from entitle.core.actor import Actor
from entitle.core.policy import Action, rule


@rule(Company)
def company_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(pk=actor.company.pk)
    if action is Action.CHANGE and actor.is_company_admin:
        return Q(pk=actor.company.pk)
    return None


@rule(User)
def coworker_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(company=actor.company)
    if action is Action.CHANGE and actor.is_company_admin:
        return Q(company=actor.company)
    return None


@rule(Invitation)
def invitation_rule(actor: Actor, action: Action) -> Q | None:
    if actor.is_vendor_staff:
        return Q()
    if action is Action.VIEW:
        return Q(company=actor.company)
    if action is Action.CHANGE:
        # The inviter may revoke or resend their own invitation; an administrator any of
        # the company's.
        if actor.is_company_admin:
            return Q(company=actor.company)
        return Q(company=actor.company, invited_by=actor.user)
    return None


@rule(ApiToken)
def api_token_rule(actor: Actor, action: Action) -> Q | None:
    # Tokens are the company administrators' business (and the back office's), and never
    # reachable through a token: a token cannot list, mint or revoke tokens.
    if actor.token is not None:
        return None
    if actor.is_vendor_staff:
        return Q()
    if actor.is_company_admin:
        return Q(company=actor.company)
    return None


def _company_administration(actor: Actor, path: str) -> Q | None:
    # A company's sign-in set-up is its administrators' business (and the back office's).
    if actor.is_vendor_staff:
        return Q()
    if actor.is_company_admin:
        return Q(**{path: actor.company})
    return None


@rule(IdentityProvider)
def identity_provider_rule(actor: Actor, action: Action) -> Q | None:
    return _company_administration(actor, "company")


@rule(SsoDomain)
def sso_domain_rule(actor: Actor, action: Action) -> Q | None:
    return _company_administration(actor, "provider__company")


@rule(ExternalIdentity)
def external_identity_rule(actor: Actor, action: Action) -> Q | None:
    # Linked at sign-in by the system only; administrators see who signs in through it.
    if action is not Action.VIEW:
        return None
    return _company_administration(actor, "user__company")
