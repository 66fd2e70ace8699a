"""The read-replica router's rules.

The "replica" in these tests is a second database that receives no writes: a replica that has
stopped replaying. A read served by it does not see what was just written; a read served by
the primary does. So each test can tell where a read went by what it sees.
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from entitle.accounts.models import Company, Invitation, User
from entitle.accounts.services import company_create, invitation_create
from entitle.catalog.models import Product, Sku
from entitle.core import routing
from entitle.core.actor import Actor
from entitle.licensing.models import Binding, Device, Licence, SigningKey
from entitle.licensing.services.licences import licence_create, licence_suspend
from entitle.licensing.services.product import (
    ProductRequest,
    product_activate,
    product_validate,
)

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


# --- Through the real pages, API and product validation. ---


def replicate(*models) -> None:
    """The stopped replica replays what the primary holds of these tables, up to now."""
    for model in models:
        rows = list(model.objects.using("default").all())
        fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
        model.objects.using("replica").bulk_create(
            rows, update_conflicts=True, unique_fields=["pk"], update_fields=fields
        )


@pytest.fixture
def admins(replica, acme, acme_admin, make_user):
    """Two administrators of Acme, whose accounts the replica already has."""
    colleague = make_user(acme, role=User.Role.ADMIN, email="cleo@acme.example")
    replicate(Company, User)
    return acme_admin, colleague


def test_a_user_sees_the_invitation_they_just_sent_while_the_replica_lags(admins, login):
    olivia, cleo = (login(user) for user in admins)
    page = olivia.post("/coworkers/invite/", {"email": "new@acme.example"}, follow=True)
    assert "new@acme.example" in page.content.decode()  # pinned: the list came from the primary
    assert "new@acme.example" not in cleo.get("/coworkers/").content.decode()  # the replica
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        # The pin has run out: Olivia reads the replica again, like everyone.
        assert "new@acme.example" not in olivia.get("/coworkers/").content.decode()
        replicate(Invitation)
        assert "new@acme.example" in cleo.get("/coworkers/").content.decode()


def test_an_api_client_reads_its_own_writes(admins, token_client):
    olivia, cleo = (token_client(user) for user in admins)
    assert cleo.get("/api/v1/invitations").json()["items"] == []  # its first use is noted (a write)
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        created = olivia.post(
            "/api/v1/invitations", {"email": "new@acme.example"}, content_type="application/json"
        )
        assert created.status_code == 201
        emails = [i["email"] for i in olivia.get("/api/v1/invitations").json()["items"]]
        assert emails == ["new@acme.example"]  # the token that wrote reads the primary
        assert (
            cleo.get("/api/v1/invitations").json()["items"] == []
        )  # another one reads the replica


def test_validation_reads_the_replica_and_asks_the_primary_what_the_replica_does_not_know(
    replica, channel, owner_credits, skus
):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="r"
    ).licence
    product = ProductRequest.of(activation_id=licence.activation_id, host_id="HOST-R")
    assert product_activate(product).code == "VALID"

    def validate() -> str:
        return product_validate(product).code

    # Activated a moment ago, not replayed yet: unknown to the replica, the primary knows it.
    assert validate() == "VALID"
    replicate(Company, User, Product, Sku, Licence, Device, Binding, SigningKey)
    licence_suspend(actor=channel.staff, activation_id=licence.activation_id, reason="Unpaid")
    # The answer comes from the replica: the product learns of the suspension once it is
    # replayed (within the replica's lag; a lagging replica is not used at all).
    assert validate() == "VALID"
    replicate(Licence)
    assert validate() == "SUSPENDED"


def test_any_post_pins_its_client_even_one_the_router_saw_no_write_in(admins, login):
    """Some writes go through hand-compiled statements the router never sees (the credit
    hot path): so every unsafe request pins, whatever the router saw."""
    olivia, cleo = (login(user) for user in admins)
    invitation_create(actor=Actor.for_user(admins[1]), email="meanwhile@acme.example")
    refused = olivia.post("/coworkers/invite/", {"email": ""})  # nothing written
    assert refused.status_code == 422
    assert "meanwhile@acme.example" in olivia.get("/coworkers/").content.decode()  # primary
    assert "meanwhile@acme.example" not in cleo.get("/coworkers/").content.decode()  # replica
