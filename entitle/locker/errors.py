from entitle.core.errors import Conflict, DomainError, NotFound


class VoucherCodeRequired(DomainError):
    status = 422
    code = "voucher_code_required"
    default_message = "Please enter a voucher code."


class VoucherCodeTypo(DomainError):
    status = 422
    code = "voucher_code_typo"
    default_message = (
        "This voucher code has a typo: please check each character and enter it again."
    )


class VoucherNotFound(NotFound):
    code = "voucher_not_found"
    default_message = "No voucher has this code."


class VoucherAlreadyRedeemed(Conflict):
    code = "voucher_redeemed"
    default_message = "This voucher has already been redeemed."


class VoucherVoid(DomainError):
    status = 410
    code = "voucher_void"
    default_message = "This voucher has been cancelled and can no longer be redeemed."


class InsufficientCredits(Conflict):
    code = "insufficient_credits"
    default_message = "There are not enough credits in your Digital Locker for this."
