"""The accounts errors, with DOMAIN.md's exact words where it gives them."""

from entitle.core.errors import Conflict, DomainError, NotFound


class EmailRequired(DomainError):
    status = 422
    code = "email_required"
    default_message = "Please enter email address"


class EmailInvalid(DomainError):
    status = 422
    code = "email_invalid"
    default_message = (
        "You have entered an invalid email address. Please re-enter the email address."
    )


class AlreadyInvited(Conflict):
    code = "already_invited"
    default_message = (
        "This co-worker has already been invited to the portal. Please invite another co-worker."
    )


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = "This invitation link is not valid. Please ask your co-worker for a new one."


class InvitationClosed(DomainError):
    status = 410
    code = "invitation_closed"


class InvitationExpired(InvitationClosed):
    code = "invitation_expired"
    default_message = "This invitation has expired. Please ask your co-worker to send a new one."


class InvitationRevoked(InvitationClosed):
    code = "invitation_revoked"
    default_message = "This invitation has been withdrawn. Please ask your co-worker for a new one."


class InvitationUsed(InvitationClosed):
    code = "invitation_used"
    default_message = "This invitation has already been used. Please log in instead."


class AccountExists(Conflict):
    code = "account_exists"
    default_message = "An account with this email address already exists. Please log in instead."


class NameRequired(DomainError):
    status = 422
    code = "name_required"
    default_message = "Please enter your name"


class PasswordRejected(DomainError):
    status = 422
    code = "password_invalid"


class TokenNameRequired(DomainError):
    status = 422
    code = "name_required"
    default_message = "Please give the token a name"


class ScopesInvalid(DomainError):
    status = 422
    code = "scopes_invalid"
    default_message = "Choose what the token may do: at least one scope."


class ScopeNotGrantable(DomainError):
    """A token never has more rights than the account it acts as, nor than its creator."""

    status = 403
    code = "scope_not_grantable"
    default_message = "Only vendor staff can give a token the back office's scopes."


class ExpiryInPast(DomainError):
    status = 422
    code = "expiry_in_past"
    default_message = "The expiry date must be in the future."


class ScopeMissing(DomainError):
    """A token called a route outside its scopes."""

    status = 403
    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This API token lacks the scope {scope}.")
        self.scope = scope


class SessionRequired(DomainError):
    """A route for portal sessions only: tokens and service accounts are never managed with a
    token, so that a leaked token cannot mint more."""

    status = 403
    code = "session_required"
    default_message = "API tokens cannot do this: sign in to the portal."


class FieldRequired(DomainError):
    status = 422
    code = "field_required"
    default_message = "This field is required."


class DomainsInvalid(DomainError):
    status = 422
    code = "domains_invalid"
    default_message = "Enter the e-mail domains whose people sign in through this provider."


class DomainTaken(Conflict):
    code = "domain_taken"
    default_message = "This domain signs in through another company."


class IssuerUnusable(DomainError):
    status = 422
    code = "issuer_unusable"
    default_message = "This is not an OpenID Connect provider Entitle can use."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, field="issuer")


class SsoRefused(DomainError):
    status = 403
    code = "sso_refused"
    default_message = "Single sign-on did not work. Please try again or ask your administrator."


class SecondFactorInvalid(DomainError):
    status = 422
    code = "code_invalid"
    default_message = "This code is not right. Please try again."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, field="code")


class SecondFactorRequired(Conflict):
    code = "second_factor_required"
    default_message = "Your company requires two-factor sign-in: it cannot be turned off."
