import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import actor_of
from entitle.core.errors import NotFound
from entitle.licensing.models import Device
from entitle.licensing.selectors import licence_get, licence_list
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create, quote_renew
from entitle.sharing import errors, services
from entitle.sharing.models import Delegation, Transfer


@pytest.fixture
def licence(owner_credits, skus):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=5, terms=1, idempotency_key="s"
    ).licence
    device = device_register(
        actor=owner_credits,
        product=skus["DCE-1Y"].product,
        name="dce",
        host_id="HOST-S",
        location="Basement",
    )
    licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    return licence


def share(owner, licence, email, role, capture):
    with capture(execute=True):
        return services.delegation_grant(
            actor=owner, email=email, role=role, activation_id=licence.activation_id
        )


def test_view_sees_the_licence_but_cannot_act_nor_see_the_installation(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    share(
        owner_credits, licence, "unrelated@example.com", "view", django_capture_on_commit_callbacks
    )
    viewer = actor_of(channel.users["unrelated"])
    seen = licence_get(actor=viewer, activation_id=str(licence.public_id))
    assert seen.visible_bindings == [] and not seen.key_visible
    with pytest.raises(NotFound):  # the Activation ID is the owner's secret
        licence_get(actor=viewer, activation_id=licence.activation_id)
    with pytest.raises(NotFound):
        quote_renew(actor=viewer, activation_id=licence.activation_id, terms=1)
    assert not Device.objects.visible_to(viewer, "view").exists()
    assert "shared licence information with you" in mail.outbox[-1].subject


def test_manage_may_act_and_sees_the_installation(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    share(
        owner_credits,
        licence,
        "installer@example.com",
        "manage",
        django_capture_on_commit_callbacks,
    )
    manager = actor_of(channel.users["installer"])
    assert quote_renew(actor=manager, activation_id=licence.activation_id, terms=1).credits
    devices = Device.objects.visible_to(manager, "view")
    assert [d.location for d in devices] == ["Basement"]


def test_revocation_and_expiry_take_effect_at_once_also_for_api_tokens(
    licence, owner_credits, channel, token_client, django_capture_on_commit_callbacks
):
    delegation = share(
        owner_credits, licence, "reseller@example.com", "view", django_capture_on_commit_callbacks
    )
    api = token_client(channel.users["reseller"])
    seen = api.get(f"/api/v1/licences/{licence.public_id}")
    assert seen.status_code == 200 and seen.json()["activation_id"] is None
    services.delegation_revoke(actor=owner_credits, public_id=delegation.public_id)
    assert api.get(f"/api/v1/licences/{licence.public_id}").status_code == 404

    expiring = services.delegation_grant(
        actor=owner_credits,
        email="reseller@example.com",
        role="view",
        activation_id=licence.activation_id,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert api.get(f"/api/v1/licences/{licence.public_id}").status_code == 200
    with time_machine.travel(expiring.expires_at + timedelta(seconds=1)):
        assert api.get(f"/api/v1/licences/{licence.public_id}").status_code == 404


def test_sharing_with_a_new_address_invites_them_into_a_company_of_their_own(
    licence, owner_credits, django_capture_on_commit_callbacks
):
    share(
        owner_credits,
        licence,
        "New.Partner@Example.com",
        "manage",
        django_capture_on_commit_callbacks,
    )
    link = re.search(r"http://\S+/shared/\S+/", mail.outbox[-1].body).group(0)
    client = Client()
    path = link.split("8000", 1)[1]
    assert "Register your company" in client.get(path).content.decode()
    response = client.post(
        path, {"name": "Nia", "company_name": "New Partner Ltd", "password": "zq-8-long-Secret"}
    )
    assert response.status_code == 302
    page = client.get("/licences/").content.decode()
    assert licence.activation_id in page
    assert Delegation.objects.get().delegate.name == "New Partner Ltd"
    assert Client().get(path).status_code == 404


def test_scope_all_and_po(
    licence, owner_credits, channel, partner_po, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.delegation_grant(
            actor=owner_credits, email="unrelated@example.com", role="view", scope="all"
        )
    viewer = actor_of(channel.users["unrelated"])
    assert [lic.activation_id for lic in licence_list(actor=viewer)] == [licence.activation_id]
    with django_capture_on_commit_callbacks(execute=True):
        services.delegation_grant(
            actor=owner_credits,
            email="reseller@example.com",
            role="view",
            scope="po",
            po_number=partner_po.po_number,
        )
    assert licence_list(actor=actor_of(channel.users["reseller"])).count() == 1
    with pytest.raises(NotFound):
        services.delegation_grant(
            actor=owner_credits,
            email="reseller@example.com",
            role="view",
            scope="po",
            po_number="NOT-OURS",
        )


def test_a_delegate_cannot_share_further(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    share(
        owner_credits,
        licence,
        "installer@example.com",
        "manage",
        django_capture_on_commit_callbacks,
    )
    from entitle.licensing.errors import LicenceNotFound

    with pytest.raises(LicenceNotFound):
        services.delegation_grant(
            actor=actor_of(channel.users["installer"]),
            email="unrelated@example.com",
            role="view",
            activation_id=licence.activation_id,
        )


def propose(owner, licence, email, capture):
    with capture(execute=True):
        return services.transfer_propose(
            actor=owner, activation_id=licence.activation_id, to_email=email
        )


def test_transfer_moves_licence_and_history_releases_devices_and_ends_delegations(
    licence, owner_credits, channel, django_capture_on_commit_callbacks
):
    share(
        owner_credits, licence, "reseller@example.com", "view", django_capture_on_commit_callbacks
    )
    transfer = propose(
        owner_credits, licence, "unrelated@example.com", django_capture_on_commit_callbacks
    )
    receiver = actor_of(channel.users["unrelated"])
    old_key = licence.activation_id
    services.transfer_accept(actor=receiver, public_id=transfer.public_id)
    licence.refresh_from_db()
    assert licence.owner == channel.companies["unrelated"]
    # The old owner's device stays its own, released: its binding ended, audited per device;
    # the key the old owner knew is replaced.
    device = Device.objects.get()
    assert device.owner == owner_credits.company
    assert [b.end_reason for b in device.bindings.all()] == ["transferred"]
    assert licence.activation_id != old_key
    for old in (owner_credits, actor_of(channel.users["reseller"])):
        with pytest.raises(NotFound):
            licence_get(actor=old, activation_id=str(licence.public_id))
    from entitle.licensing.selectors import consumption_list, licence_activity

    # The consumption stays with the company that paid; the history moves with the licence.
    assert consumption_list(actor=owner_credits).count() == 1
    assert consumption_list(actor=receiver).count() == 0
    _, events = licence_activity(actor=receiver, activation_id=licence.activation_id)
    assert {
        "licence.created",
        "licence.transferred",
        "licence.released_on_transfer",
        "licence.key_replaced",
    } <= {e.action for e in events}
    with pytest.raises(errors.TransferClosed):
        services.transfer_decline(actor=receiver, public_id=transfer.public_id)


def test_decline_and_cancel(licence, owner_credits, channel, django_capture_on_commit_callbacks):
    transfer = propose(
        owner_credits, licence, "unrelated@example.com", django_capture_on_commit_callbacks
    )
    with pytest.raises(errors.TransferRefused):
        propose(owner_credits, licence, "reseller@example.com", django_capture_on_commit_callbacks)
    with pytest.raises(errors.TransferRefused):
        services.transfer_accept(actor=owner_credits, public_id=transfer.public_id)
    services.transfer_decline(
        actor=actor_of(channel.users["unrelated"]), public_id=transfer.public_id
    )
    again = propose(
        owner_credits, licence, "reseller@example.com", django_capture_on_commit_callbacks
    )
    services.transfer_cancel(actor=owner_credits, public_id=again.public_id)
    licence.refresh_from_db()
    assert licence.owner == owner_credits.company


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_transfer(
    on_postgres, licence, owner_credits, channel, make_user
):
    from entitle.accounts.models import User

    transfer = services.transfer_propose(
        actor=owner_credits, activation_id=licence.activation_id, to_email="unrelated@example.com"
    )
    admins = [channel.users["unrelated"]] + [
        make_user(channel.companies["unrelated"], role=User.Role.ADMIN) for _ in range(7)
    ]
    barrier = threading.Barrier(len(admins))
    outcomes = []

    def accept(user):
        try:
            barrier.wait()
            services.transfer_accept(actor=actor_of(user), public_id=transfer.public_id)
            outcomes.append("accepted")
        except errors.TransferClosed:
            outcomes.append("closed")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["closed"] * 7
    assert Transfer.objects.get().status == "accepted"


@pytest.mark.parametrize("scope", ["licence", "po", "all"])
def test_a_manage_delegate_renews_and_increases_and_a_view_delegate_cannot(
    scope, licence, owner_credits, channel, partner_po, django_capture_on_commit_callbacks
):
    """The lock of a renewal or increase is under the policy's CHANGE condition, whatever
    shape the delegation gives it (a licence, a PO's licences, all of them)."""
    from entitle.licensing.errors import LicenceNotFound
    from entitle.licensing.services.licences import licence_increase, licence_renew

    where = {
        "licence": {"activation_id": licence.activation_id},
        "po": {"po_number": partner_po.po_number},
        "all": {},
    }[scope]
    with django_capture_on_commit_callbacks(execute=True):
        for email, role in (("installer@example.com", "manage"), ("unrelated@example.com", "view")):
            services.delegation_grant(
                actor=owner_credits, email=email, role=role, scope=scope, **where
            )
    # The manager spends its own company's credits, and has none of the licence's SKU.
    manager = actor_of(channel.users["installer"])
    viewer = actor_of(channel.users["unrelated"])
    with pytest.raises(LicenceNotFound):
        licence_increase(
            actor=viewer, activation_id=licence.activation_id, quantity=9, idempotency_key="v"
        )
    with pytest.raises(LicenceNotFound):
        licence_renew(
            actor=viewer, activation_id=licence.activation_id, terms=1, idempotency_key="v2"
        )
    from entitle.locker.errors import InsufficientCredits

    # Found and locked (then refused for want of the manager's own credits, not as missing).
    with pytest.raises(InsufficientCredits):
        licence_increase(
            actor=manager, activation_id=licence.activation_id, quantity=9, idempotency_key="m"
        )
