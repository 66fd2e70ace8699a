from entitle.core.errors import Conflict, DomainError, NotFound


class PoInvalid(DomainError):
    status = 422
    code = "po_invalid"


class PoDuplicate(Conflict):
    code = "po_duplicate"
    default_message = "This purchasing entity already has a PO with this number."


class PoNotFound(NotFound):
    code = "po_not_found"
    default_message = "No purchase order with this number was found."
