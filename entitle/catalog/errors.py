from entitle.core.errors import Conflict, DomainError


class CatalogInvalid(DomainError):
    status = 422
    code = "catalog_invalid"


class CatalogDuplicate(Conflict):
    code = "catalog_duplicate"
