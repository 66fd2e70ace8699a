from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from entitle.core import codes
from entitle.core.idempotency import IdempotencyKeyReused
from entitle.licensing import errors
from entitle.licensing.models import ConsumptionRecord, Licence
from entitle.licensing.selectors import licence_status
from entitle.licensing.services import licences
from entitle.licensing.services.licences import (
    licence_create,
    licence_increase,
    licence_renew,
    quote_increase,
    quote_renew,
)
from entitle.locker.errors import InsufficientCredits
from entitle.locker.models import LedgerEntry
from entitle.orders.models import Entitlement

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 23, 12, tzinfo=UTC), tick=False):
        yield


def balance(actor, sku) -> Decimal:
    return sum(
        (
            e.amount
            for e in LedgerEntry.objects.filter(locker__company=actor.company, locker__sku=sku)
        ),
        Decimal("0.00"),
    )


def test_a_licence_costs_quantity_times_terms(owner_credits, skus):
    record = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=20, terms=1, idempotency_key="c1"
    )
    assert record.status == ConsumptionRecord.Status.COMPLETED
    assert record.credits == Decimal("20.00")
    licence = record.licence
    assert (licence.start_date, licence.end_date) == (TODAY, TODAY + timedelta(days=365))
    assert licence.owner == owner_credits.company
    assert balance(owner_credits, skus["DCE-1Y"]) == Decimal("5.00")
    assert licence_status(licence).status == "active"


def test_the_activation_id_is_a_secret_of_its_own_never_the_subscription_id(owner_credits, skus):
    record = licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=10, terms=1, idempotency_key="c"
    )
    entitlement = Entitlement.objects.get(sku__code="PCNS-3Y")
    assert record.licence.activation_id != entitlement.subscription_id
    assert codes.is_well_formed(record.licence.activation_id)
    assert entitlement.licence == record.licence
    assert [f.voucher.sku.code for f in record.fundings.all()] == ["PCNS-3Y"]


def test_the_same_request_twice_consumes_once(owner_credits, skus):
    first = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="same"
    )
    again = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="same"
    )
    assert first.pk == again.pk
    assert Licence.objects.count() == 1
    assert balance(owner_credits, skus["DCE-1Y"]) == Decimal("20.00")
    with pytest.raises(IdempotencyKeyReused):
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=6, terms=1, idempotency_key="same"
        )


def test_not_enough_credits_consumes_nothing(owner_credits, skus):
    with pytest.raises(InsufficientCredits) as caught:
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=26, terms=1, idempotency_key="x"
        )
    assert "26.00" in caught.value.message and "25.00" in caught.value.message
    assert not ConsumptionRecord.objects.exists() and not Licence.objects.exists()
    assert balance(owner_credits, skus["DCE-1Y"]) == Decimal("25.00")


def test_increase_is_prorated_over_the_rest_of_the_term(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=10, terms=1, idempotency_key="c"
    ).licence
    with time_machine.travel(datetime(2027, 5, 25, 12, tzinfo=UTC), tick=False):
        # 10 → 15 with 182 of 365 days left: 5 × 182/365 = 2.493… → 2.50
        quote = quote_increase(
            actor=owner_credits, activation_id=licence.activation_id, quantity=15
        )
        assert quote.credits == Decimal("2.50") and quote.affordable
        record = licence_increase(
            actor=owner_credits,
            activation_id=licence.activation_id.lower(),
            quantity=15,
            idempotency_key="i",
        )
    assert record.credits == Decimal("2.50")
    licence.refresh_from_db()
    assert licence.quantity == 15
    assert balance(owner_credits, skus["DCE-1Y"]) == Decimal("12.50")


def test_increase_is_refused_past_the_end_date_and_when_not_an_increase(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=10, terms=1, idempotency_key="c"
    ).licence
    with pytest.raises(errors.IncreaseNotAllowed):
        licence_increase(
            actor=owner_credits,
            activation_id=licence.activation_id,
            quantity=10,
            idempotency_key="i",
        )
    with (
        time_machine.travel(datetime(2027, 11, 23, 12, tzinfo=UTC), tick=False),
        pytest.raises(errors.IncreaseNotAllowed, match="past its end date"),
    ):
        quote_increase(actor=owner_credits, activation_id=licence.activation_id, quantity=11)


def test_early_renewal_loses_no_day(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=2, terms=1, idempotency_key="c"
    ).licence
    end = licence.end_date
    quote = quote_renew(actor=owner_credits, activation_id=licence.activation_id, terms=2)
    assert (quote.credits, quote.end_date) == (Decimal("4.00"), end + timedelta(days=2 * 1095))
    licence_renew(
        actor=owner_credits, activation_id=licence.activation_id, terms=2, idempotency_key="r"
    )
    licence.refresh_from_db()
    assert licence.end_date == end + timedelta(days=2190)
    assert balance(owner_credits, skus["PCNS-3Y"]) == Decimal("4.00")


def test_secure_nmc_cannot_be_renewed_after_expiry(
    channel, skus, make_company, django_capture_on_commit_callbacks
):
    from conftest import actor_of
    from entitle.locker.services import voucher_redeem
    from entitle.orders.services import LineInput, po_fulfil, po_record

    owner = channel.companies["owner"]
    po = po_record(
        actor=channel.staff,
        po_number="NMC-1",
        po_email="o@example.com",
        channel="direct",
        purchasing_entity=owner,
        owner=owner,
        lines=[LineInput(skus["SECURE-NMC-1Y"], 4)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        po_fulfil(actor=channel.staff, public_id=po.public_id)
    actor = actor_of(channel.users["owner"])
    voucher_redeem(actor=actor, code=po.lines.get().voucher.code, idempotency_key="n")
    licence = licence_create(
        actor=actor, sku=skus["SECURE-NMC-1Y"], quantity=2, terms=1, idempotency_key="c"
    ).licence
    quote_renew(actor=actor, activation_id=licence.activation_id, terms=1)  # allowed before the end
    with (
        time_machine.travel(datetime(2027, 11, 23, 12, tzinfo=UTC), tick=False),
        pytest.raises(errors.RenewalNotAllowed) as caught,
    ):
        licence_renew(
            actor=actor, activation_id=licence.activation_id, terms=1, idempotency_key="r"
        )
    assert "new Activation ID" in caught.value.message
    assert balance(actor, skus["SECURE-NMC-1Y"]) == Decimal("2.00")


def test_a_failure_while_applying_returns_the_credits(owner_credits, skus, monkeypatch):
    licence = licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=2, terms=1, idempotency_key="c"
    ).licence

    def broken(*args, **kwargs):
        raise errors.LicenceInvalid("The licence file could not be signed.")

    monkeypatch.setattr(licences, "issue_files", broken)
    record = licence_renew(
        actor=owner_credits, activation_id=licence.activation_id, terms=1, idempotency_key="r"
    )
    assert record.status == ConsumptionRecord.Status.FAILED
    assert record.failure_reason == "The licence file could not be signed."
    licence.refresh_from_db()
    assert licence.end_date == TODAY + timedelta(days=1095)
    kinds = list(
        LedgerEntry.objects.filter(locker__sku__code="PCNS-3Y")
        .order_by("id")
        .values_list("kind", "amount")
    )
    assert kinds[-2:] == [("consumption", Decimal("-2.00")), ("return", Decimal("2.00"))]
    assert balance(owner_credits, skus["PCNS-3Y"]) == Decimal("8.00")


def test_other_companies_cannot_touch_the_licence(owner_credits, skus, channel):
    from conftest import actor_of
    from entitle.core.errors import NotFound

    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="c"
    ).licence
    for role in ["purchasing", "reseller", "installer", "unrelated"]:
        with pytest.raises(NotFound):
            quote_renew(
                actor=actor_of(channel.users[role]), activation_id=licence.activation_id, terms=1
            )


def test_vendor_staff_suspend_and_reinstate(owner_credits, skus, channel):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="c"
    ).licence
    licences.licence_suspend(
        actor=channel.staff, activation_id=licence.activation_id, reason="Unpaid invoice"
    )
    licence.refresh_from_db()
    assert licence_status(licence).status == "suspended"
    with pytest.raises(errors.LicenceSuspended):
        quote_renew(actor=owner_credits, activation_id=licence.activation_id, terms=1)
    licences.licence_reinstate(actor=channel.staff, activation_id=licence.activation_id)
    licence.refresh_from_db()
    assert licence_status(licence).status == "active"


def test_ledger_equals_the_sum_of_entries_after_everything(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=3, terms=2, idempotency_key="a"
    ).licence
    licence_increase(
        actor=owner_credits, activation_id=licence.activation_id, quantity=4, idempotency_key="b"
    )
    licence_renew(
        actor=owner_credits, activation_id=licence.activation_id, terms=1, idempotency_key="c"
    )
    from entitle.locker.models import Locker

    locker = Locker.objects.get(company=owner_credits.company, sku=skus["DCE-1Y"])
    # 25 − 3 × 2 terms − (4 − 3) × 730/365 days left − 4 × 1 term
    assert locker.balance == Decimal("13.00")
