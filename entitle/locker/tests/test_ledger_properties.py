from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import actor_of
from entitle.locker.errors import InsufficientCredits
from entitle.locker.models import LedgerEntry, Locker
from entitle.locker.services import ledger_append

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
operations = st.lists(st.tuples(st.sampled_from(["redeem", "consume"]), amounts), max_size=30)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations)
def test_balance_is_the_sum_of_entries_and_never_negative(acme_admin, skus, operations):
    actor = actor_of(acme_admin)
    with transaction.atomic():
        expected = Decimal("0.00")
        for n, (kind, amount) in enumerate(operations):
            signed = amount if kind == "redeem" else -amount
            try:
                ledger_append(
                    actor=actor,
                    company=acme_admin.company,
                    sku=skus["DCE-1Y"],
                    kind="redemption" if signed > 0 else "consumption",
                    amount=signed,
                    reason=kind,
                    idempotency_key=f"op-{n}",
                )
                expected += signed
            except InsufficientCredits:
                # Refused whole: nothing was written.
                assert signed < 0 and expected + signed < 0
            # The balance kept on the locker row is the sum of its entries, always.
            locker = Locker.objects.filter(company=acme_admin.company, sku=skus["DCE-1Y"]).first()
            balance = locker.balance if locker else Decimal("0.00")
            entries = LedgerEntry.objects.filter(locker=locker)
            assert balance == sum((e.amount for e in entries), Decimal("0.00")) == expected
            assert balance >= 0
        transaction.set_rollback(True)


def test_an_overdraft_is_refused_and_writes_nothing(acme_admin, skus):
    actor = actor_of(acme_admin)
    where = {"company": acme_admin.company, "sku": skus["DCE-1Y"]}
    ledger_append(
        actor=actor,
        **where,
        kind="redemption",
        amount=Decimal("5"),
        reason="in",
        idempotency_key="in",
    )
    with pytest.raises(InsufficientCredits) as caught:
        ledger_append(
            actor=actor,
            **where,
            kind="consumption",
            amount=Decimal("-5.01"),
            reason="out",
            idempotency_key="out",
        )
    assert caught.value.message == (
        "This needs 5.01 credits of DCE-1Y; your Digital Locker has 5.00."
    )
    assert Locker.objects.get(**where).balance == Decimal("5.00")
    assert LedgerEntry.objects.count() == 1
