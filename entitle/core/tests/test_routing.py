"""The read-replica router's rules.

The "replica" in these tests is a second database that receives no writes: a replica that has
stopped replaying. A read served by it does not see what was just written; a read served by
the primary does. So each test can tell where a read went by what it sees.
"""

import pytest
from django.db import transaction

from entitle.accounts.models import Company
from entitle.accounts.services import company_create
from entitle.core import routing

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings, monkeypatch):
    settings.ENTITLE = {**settings.ENTITLE, "READ_REPLICA": "replica", "REPLICA_PIN_SECONDS": 5}
    monkeypatch.setattr(routing, "_freshness", routing._Freshness())
    return "replica"


def sees(name: str) -> bool:
    return Company.objects.filter(name=name).exists()


def test_without_a_replica_every_read_goes_to_the_one_database():
    company_create(actor=None, name="Written")
    with routing.replica_reads():
        assert sees("Written")
        assert routing.read_alias() == "default"


def test_marked_reads_go_to_the_replica_and_nothing_else_does(replica):
    company_create(actor=None, name="Written")
    assert sees("Written")  # not marked: the primary
    with routing.replica_reads():
        assert routing.read_alias() == "replica"
        assert not sees("Written")  # the stopped replica has not replayed it
    assert sees("Written")


def test_a_read_after_a_write_in_the_same_scope_goes_to_the_primary(replica):
    with routing.replica_reads():
        assert not sees("Acme")
        company_create(actor=None, name="Acme")
        assert sees("Acme")


def test_reads_inside_a_transaction_go_to_the_primary(replica):
    company_create(actor=None, name="Written")
    with routing.replica_reads(), transaction.atomic():
        assert sees("Written")


@pytest.mark.parametrize("lag", [60.0, None], ids=["lagging", "unreachable"])
def test_a_lagging_or_unreachable_replica_is_not_read(replica, monkeypatch, lag):
    company_create(actor=None, name="Written")
    monkeypatch.setattr(routing, "replica_lag", lambda alias=None: lag)
    with routing.replica_reads():
        assert sees("Written")


def test_the_lag_is_measured_on_the_replica(replica):
    assert routing.replica_lag() == 0.0
