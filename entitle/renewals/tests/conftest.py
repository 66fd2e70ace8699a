"""Renewals fixtures: the channel's PO, a licence of the owner's bought under it, and the
channel's partners listed in the partner directory."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from conftest import actor_of
from entitle.accounts.models import Company
from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create
from entitle.orders.models import Entitlement
from entitle.renewals.services.partners import partner_listing_save
from entitle.renewals.tasks import sweep_now


def on(day: date, hour: int = 9):
    """Run as if it were `day` (UTC, the portal's time zone)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=UTC), tick=False)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep as the worker would: its mails go out once each range commits."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return sweep_now()

    return run


@pytest.fixture
def licence(owner_credits, skus):
    """DCE-1Y × 10 of the owner's, on a device in its server room; paid for by PO-1001."""
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=10, terms=1, idempotency_key="r1"
    ).licence
    device = device_register(
        actor=owner_credits,
        product=skus["DCE-1Y"].product,
        name="dce-leeds",
        host_id="HOST-SECRET-1",
        location="Leeds, server room B",
    )
    licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    return licence


@pytest.fixture
def pcns_licence(owner_credits, skus):
    """PCNS-3Y × 4 of the owner's: PowerChute has 60 days of grace."""
    return licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=4, terms=1, idempotency_key="r2"
    ).licence


@pytest.fixture
def listed(channel, skus):
    """The channel's distributor, reseller and installer are partners in the directory."""
    c = channel.companies
    partners = [c["purchasing"], c["reseller"], c["installer"]]
    # Marking a company as a partner is a back-office edit of the company (an admin form).
    Company.objects.filter(pk__in=[p.pk for p in partners]).update(is_partner=True)
    sells = {
        "purchasing": ["dce", "secure-nmc", "pcns"],
        "reseller": ["dce", "pcns"],
        "installer": ["pcns"],
    }
    for role, products in sells.items():
        channel.users[role].company.refresh_from_db()
        partner_listing_save(
            actor=actor_of(channel.users[role]),
            product_codes=products,
            summary=f"{role.title()} partner",
        )
    return {role: c[role] for role in sells}


def subscription(licence) -> str:
    """The Subscription ID partners know the licence by (never its Activation ID)."""
    return Entitlement.objects.filter(licence=licence).order_by("pk").first().subscription_id
