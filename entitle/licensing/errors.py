from entitle.core.errors import Conflict, DomainError, NotFound


class LicenceNotFound(NotFound):
    code = "licence_not_found"
    default_message = "No license with this Activation ID."


class DeviceNotFound(NotFound):
    code = "device_not_found"
    default_message = "No such device."


class LicenceInvalid(DomainError):
    status = 422
    code = "licence_invalid"


class IncreaseNotAllowed(Conflict):
    code = "increase_not_allowed"


class RenewalNotAllowed(Conflict):
    code = "renewal_not_allowed"
    default_message = (
        "This subscription has expired and cannot be renewed: a new subscription with a new "
        "Activation ID must be bought."
    )


class LicenceSuspended(Conflict):
    code = "licence_suspended"
    default_message = "This license is suspended by the vendor. Please contact the vendor."


class LicenceExpired(Conflict):
    code = "licence_expired"
    default_message = "This license has expired. Renew it first."


class DeviceInvalid(DomainError):
    status = 422
    code = "device_invalid"


class DeviceExists(Conflict):
    code = "device_exists"
    default_message = "You have already registered a device of this product with this host id."


class AssignmentRefused(Conflict):
    code = "assignment_refused"


class NoLicenceFile(NotFound):
    code = "no_licence_file"
    default_message = "No license file has been issued for this license on this device yet."


class NoLicenceOnDevice(NotFound):
    code = "licence_not_on_device"
    default_message = "This license is not active on this device."


class RehostLimit(Conflict):
    code = "rehost_limit"


class AirGapFileInvalid(DomainError):
    status = 422
    code = "airgap_file_invalid"
    default_message = "This is not an activation request or deactivation proof of this product."


class AirGapProofRefused(Conflict):
    code = "deactivation_proof_refused"
    default_message = (
        "This deactivation proof was not made by the installation the license is active on."
    )
