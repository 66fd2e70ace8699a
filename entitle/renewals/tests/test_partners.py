"""The partner directory, renewal requests and e-mails to partners: what reaches a partner is
the licence's entitlement information, never its owner or installation (unless the requester
includes their own contact)."""

import pytest
from django.core import mail

from conftest import actor_of
from entitle.core.errors import NotFound, RateLimited
from entitle.renewals import selectors
from entitle.renewals.errors import PartnerNotFound, RenewalRequestAnswered
from entitle.renewals.services import partners
from entitle.renewals.services.partners import partner_listing_save
from entitle.renewals.tests.conftest import subscription

OWNER_SECRETS = [
    "Acme",
    "owner@example.com",
    "dce-leeds",
    "HOST-SECRET-1",
    "Leeds, server room B",
]


def test_the_directory_is_searchable_and_recommends_who_sold_the_licence(
    licence, listed, channel, owner_credits
):
    everyone = selectors.partner_directory(actor=owner_credits)
    assert [p.name for p in everyone] == [
        "Bluebird IT Resellers",
        "Initech Managed Services",
        "Northwind Distribution",
    ]
    assert not any(p.recommended for p in everyone)
    recommended = selectors.recommended_partners(actor=owner_credits, licence=licence)
    # The reseller sold it to the owner; the distributor was the purchasing entity.
    assert recommended == (listed["reseller"].pk, listed["purchasing"].pk)
    options = selectors.renewal_options(actor=owner_credits, activation_id=licence.activation_id)
    assert [(p.name, p.recommended) for p in options.partners] == [
        ("Bluebird IT Resellers", True),
        ("Northwind Distribution", True),
        ("Initech Managed Services", False),
    ]
    by_product = selectors.partner_directory(actor=owner_credits, product="secure-nmc")
    assert [p.name for p in by_product] == ["Northwind Distribution"]
    assert [p.name for p in selectors.partner_directory(actor=owner_credits, query="powerchute")]
    assert selectors.partner_directory(actor=owner_credits, query="bluebird")[0].products == (
        "Data Center Expert",
        "PowerChute Network Shutdown",
    )


def partner_mails(company_role: str) -> list:
    return [m for m in mail.outbox if m.to == [f"{company_role}@example.com"]]


def test_a_renewal_request_carries_entitlement_information_only(
    licence, listed, channel, owner_credits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = partners.renewal_request_create(
            actor=owner_credits,
            activation_id=licence.activation_id,
            partner_id=listed["installer"].pk,
            message="Please quote one more year.",
        )
    [message] = partner_mails("installer")
    for shown in [subscription(licence), "DCE-1Y", "Quantity:        10", "one more year"]:
        assert shown in message.body
    assert "did not share their contact details" in message.body
    # What the partner sees, in the portal and the API, never names the owner.
    installer = actor_of(channel.users["installer"])
    [received] = selectors.renewal_requests_received(actor=installer)
    assert received == request
    for secret in OWNER_SECRETS:
        assert secret not in message.body and secret not in message.subject
    assert (received.contact_name, received.contact_email, received.contact_company) == (
        "",
        "",
        "",
    )


def test_the_requester_may_include_their_own_contact(
    licence, listed, owner_credits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partners.renewal_request_create(
            actor=owner_credits,
            activation_id=licence.activation_id,
            partner_id=listed["reseller"].pk,
            include_contact=True,
        )
    [message] = partner_mails("reseller")
    assert (
        "Contact: User" in message.body and "<owner@example.com>, Acme Data Centres" in message.body
    )
    # Still never the installation.
    assert "Leeds" not in message.body and "HOST-SECRET-1" not in message.body


def test_the_partner_answers_through_the_portal_without_learning_the_address(
    licence, listed, channel, owner_credits, django_capture_on_commit_callbacks
):
    request = partners.renewal_request_create(
        actor=owner_credits, activation_id=licence.activation_id, partner_id=listed["reseller"].pk
    )
    reseller = actor_of(channel.users["reseller"])
    with django_capture_on_commit_callbacks(execute=True):
        partners.renewal_request_answer(
            actor=reseller, public_id=request.public_id, answer="400.00 for a year."
        )
    [answer] = [m for m in mail.outbox if "answered your renewal request" in m.subject]
    assert answer.to == ["owner@example.com"]
    assert "400.00 for a year." in answer.body
    with pytest.raises(RenewalRequestAnswered):
        partners.renewal_request_answer(actor=reseller, public_id=request.public_id, answer="x")
    # Only the partner it was sent to answers; the requester cannot answer its own request.
    with pytest.raises(NotFound):
        partners.renewal_request_answer(
            actor=owner_credits, public_id=request.public_id, answer="x"
        )


def test_e_mailing_a_partner_carries_sku_quantity_subscription_and_the_writers_contact(
    licence, listed, owner_credits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent_to = partners.partner_mail_send(
            actor=owner_credits,
            activation_id=licence.activation_id,
            partner_id=listed["purchasing"].pk,
            message="Can you renew this for us?",
        )
    assert sent_to == "Northwind Distribution"
    [message] = partner_mails("purchasing")
    assert f"Subscription ID: {subscription(licence)}" in message.body
    assert licence.activation_id not in message.body
    assert "SKU:             DCE-1Y" in message.body and "Quantity:        10" in message.body
    assert "Can you renew this for us?" in message.body
    assert "at owner@example.com" in message.body
    assert "Leeds" not in message.body and "HOST-SECRET-1" not in message.body


def test_only_partners_of_the_directory_and_only_who_may_renew(
    licence, listed, channel, owner_credits
):
    with pytest.raises(PartnerNotFound):
        partners.renewal_request_create(
            actor=owner_credits,
            activation_id=licence.activation_id,
            partner_id=channel.companies["unrelated"].pk,
        )
    for role in ["purchasing", "reseller", "installer", "unrelated"]:
        with pytest.raises(NotFound):
            partners.partner_mail_send(
                actor=actor_of(channel.users[role]),
                activation_id=licence.activation_id,
                partner_id=listed["reseller"].pk,
                message="hello",
            )


def test_writing_to_partners_is_rate_limited(licence, listed, owner_credits):
    for _ in range(partners.PARTNER_MAIL_RATE):
        partners.partner_mail_send(
            actor=owner_credits,
            activation_id=licence.activation_id,
            partner_id=listed["reseller"].pk,
            message="hello",
        )
    with pytest.raises(RateLimited):
        partners.partner_mail_send(
            actor=owner_credits,
            activation_id=licence.activation_id,
            partner_id=listed["reseller"].pk,
            message="hello",
        )


def test_partners_list_themselves_and_nobody_else_can(listed, channel, owner_credits):
    reseller = actor_of(channel.users["reseller"])
    listing = partner_listing_save(actor=reseller, product_codes=["secure-nmc"], summary="NMC too")
    assert [p.code for p in listing.products.all()] == ["secure-nmc"]
    with pytest.raises(NotFound):
        partner_listing_save(actor=owner_credits, product_codes=["dce"])


def test_a_partner_sees_the_upcoming_expiries_of_what_it_sold(licence, listed, channel):
    from datetime import timedelta

    from entitle.renewals.tests.conftest import on

    with on(licence.end_date - timedelta(days=20)):
        for role in ["purchasing", "reseller"]:
            [row] = [
                r
                for r in selectors.sold_expiries(actor=actor_of(channel.users[role]))
                if r.subscription_id == subscription(licence)
            ]
            assert (row.sku, row.quantity, row.po_number) == ("DCE-1Y", 10, "PO-1001")
            assert (row.status.status, row.status.colour) == ("expiring", "amber")
        for role in ["installer", "owner", "unrelated"]:
            assert selectors.sold_expiries(actor=actor_of(channel.users[role])) == []
