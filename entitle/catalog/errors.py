from entitle.core.errors import Conflict, DomainError, PermissionDenied


class VendorStaffOnly(PermissionDenied):
    code = "vendor_staff_only"
    default_message = "Only the vendor's staff can do this."


class CatalogInvalid(DomainError):
    status = 422
    code = "catalog_invalid"


class CatalogDuplicate(Conflict):
    code = "catalog_duplicate"
