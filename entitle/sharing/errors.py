from entitle.core.errors import Conflict, DomainError, NotFound


class ShareInvalid(DomainError):
    status = 422
    code = "share_invalid"


class TransferInvalid(DomainError):
    status = 422
    code = "transfer_invalid"


class TransferClosed(Conflict):
    code = "transfer_closed"
    default_message = "This transfer has already been decided."


class TransferRefused(Conflict):
    code = "transfer_refused"


class ShareLinkNotFound(NotFound):
    code = "share_link_not_found"
    default_message = "This link is not valid. Please ask the license owner to share it again."
