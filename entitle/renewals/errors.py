from entitle.core.errors import Conflict, DomainError, NotFound


class PartnerNotFound(NotFound):
    code = "partner_not_found"
    default_message = "No such partner in the partner directory."


class RenewalRequestNotFound(NotFound):
    code = "renewal_request_not_found"
    default_message = "No such renewal request."


class RenewalRequestInvalid(DomainError):
    status = 422
    code = "renewal_request_invalid"


class RenewalRequestAnswered(Conflict):
    code = "renewal_request_answered"
    default_message = "This renewal request has already been answered."


class NothingToOrder(Conflict):
    code = "nothing_to_order"
    default_message = "This license is suspended by the vendor. Please contact the vendor."


class ListingInvalid(DomainError):
    status = 422
    code = "listing_invalid"


class RegistrationLinkInvalid(NotFound):
    code = "registration_link_invalid"
    default_message = (
        "This registration link is not valid or has expired. Use the link in your latest "
        "renewal reminder, or ask a co-worker to invite you."
    )
