import threading
from decimal import Decimal

import pytest
from django.db import connection

from conftest import actor_of
from entitle.core import codes
from entitle.core.errors import RateLimited
from entitle.core.idempotency import IdempotencyKeyReused
from entitle.locker import errors, selectors
from entitle.locker.models import LedgerEntry, Voucher
from entitle.locker.services import voucher_redeem, voucher_void


def dce_voucher(po) -> Voucher:
    return po.lines.get(sku__code="DCE-1Y").voucher


def balances(user) -> dict[str, Decimal]:
    return {
        locker.sku.code: locker.balance
        for locker in selectors.locker_balances(actor=actor_of(user))
    }


def test_redeeming_adds_the_credits_to_the_redeemers_locker(partner_po, channel):
    owner = channel.users["owner"]
    voucher = dce_voucher(partner_po)
    typed = voucher.code.replace("-", " ").lower()
    redeemed = voucher_redeem(actor=actor_of(owner), code=typed, idempotency_key="k1")
    assert redeemed.status == Voucher.Status.REDEEMED
    assert redeemed.redeemed_by == owner
    assert balances(owner) == {"DCE-1Y": Decimal("25.00")}
    [entry] = selectors.ledger_list(actor=actor_of(owner))
    assert (entry.kind, entry.amount, entry.voucher) == ("redemption", Decimal("25.00"), voucher)


def test_the_same_request_twice_redeems_once(partner_po, channel):
    owner = actor_of(channel.users["owner"])
    code = dce_voucher(partner_po).code
    first = voucher_redeem(actor=owner, code=code, idempotency_key="same")
    again = voucher_redeem(actor=owner, code=code, idempotency_key="same")
    assert first.pk == again.pk
    assert LedgerEntry.objects.count() == 1
    other = partner_po.lines.get(sku__code="PCNS-3Y").voucher.code
    with pytest.raises(IdempotencyKeyReused):
        voucher_redeem(actor=owner, code=other, idempotency_key="same")


def test_a_voucher_is_redeemed_once_ever(partner_po, channel):
    code = dce_voucher(partner_po).code
    voucher_redeem(actor=actor_of(channel.users["owner"]), code=code, idempotency_key="a")
    with pytest.raises(errors.VoucherAlreadyRedeemed) as caught:
        voucher_redeem(actor=actor_of(channel.users["reseller"]), code=code, idempotency_key="b")
    assert caught.value.message == "This voucher has already been redeemed."
    assert balances(channel.users["reseller"]) == {}


def test_a_typo_is_told_apart_from_a_code_that_does_not_exist(partner_po, channel):
    owner = actor_of(channel.users["owner"])
    code = dce_voucher(partner_po).code
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    with pytest.raises(errors.VoucherCodeTypo) as typo_error:
        voucher_redeem(actor=owner, code=typo, idempotency_key="t")
    with pytest.raises(errors.VoucherNotFound) as missing:
        voucher_redeem(actor=owner, code=codes.generate(), idempotency_key="m")
    assert typo_error.value.message != missing.value.message
    assert "typo" in typo_error.value.message
    with pytest.raises(errors.VoucherCodeRequired):
        voucher_redeem(actor=owner, code="  ", idempotency_key="e")


def test_a_void_voucher_cannot_be_redeemed(partner_po, channel):
    voucher = dce_voucher(partner_po)
    voucher_void(actor=channel.staff, voucher_id=voucher.pk)
    with pytest.raises(errors.VoucherVoid):
        voucher_redeem(
            actor=actor_of(channel.users["owner"]), code=voucher.code, idempotency_key="v"
        )


def test_redemption_attempts_are_rate_limited_per_user_and_per_company(
    partner_po, channel, make_user, settings
):
    settings.ENTITLE = {**settings.ENTITLE, "REDEEM_RATE_USER": 3, "REDEEM_RATE_COMPANY": 5}
    owner = channel.users["owner"]
    colleague = make_user(owner.company)
    for n in range(3):
        with pytest.raises(errors.VoucherNotFound):
            voucher_redeem(actor=actor_of(owner), code=codes.generate(), idempotency_key=f"u{n}")
    with pytest.raises(RateLimited):
        voucher_redeem(
            actor=actor_of(owner), code=dce_voucher(partner_po).code, idempotency_key="x"
        )
    for n in range(2):
        with pytest.raises(errors.VoucherNotFound):
            voucher_redeem(
                actor=actor_of(colleague), code=codes.generate(), idempotency_key=f"c{n}"
            )
    with pytest.raises(RateLimited):
        voucher_redeem(actor=actor_of(colleague), code=codes.generate(), idempotency_key="c9")


def test_vouchers_are_listed_to_the_purchaser_and_the_redeemer_only(partner_po, channel):
    voucher_redeem(
        actor=actor_of(channel.users["owner"]),
        code=dce_voucher(partner_po).code,
        idempotency_key="r",
    )
    seen = {
        role: sorted(v.sku.code for v in selectors.voucher_list(actor=actor_of(user)))
        for role, user in channel.users.items()
    }
    assert seen == {
        "purchasing": ["DCE-1Y", "PCNS-3Y"],
        "reseller": [],
        "owner": ["DCE-1Y"],
        "installer": [],
        "unrelated": [],
        "vendor": ["DCE-1Y", "PCNS-3Y"],
    }


@pytest.mark.django_db(transaction=True)
def test_32_concurrent_redemptions_of_one_code_make_exactly_one(
    on_postgres, partner_po, channel, make_user
):
    code = dce_voucher(partner_po).code
    people = [
        make_user(channel.companies[role]) for role in ("owner", "reseller") for _ in range(16)
    ]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def redeem(n, user):
        try:
            barrier.wait()
            voucher_redeem(actor=actor_of(user), code=code, idempotency_key=f"key-{n}")
            outcomes.append("redeemed")
        except errors.VoucherAlreadyRedeemed:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=pair) for pair in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("redeemed") == 1
    assert outcomes.count("already") == 31
    assert LedgerEntry.objects.filter(kind="redemption").count() == 1
    assert sum(e.amount for e in LedgerEntry.objects.all()) == Decimal("25.00")
