"""Reminders per DOMAIN.md when mail goes out late, and after a transfer: only the most recent
due reminder, never "before expiry" after the end date, nothing more to the old owner, and no
mail that names a company to another."""

from datetime import timedelta

import pytest
from django.core import mail

from conftest import actor_of
from entitle.renewals.models import Reminder
from entitle.renewals.services import reminders
from entitle.renewals.tests.conftest import on
from entitle.sharing.services import transfer_accept, transfer_propose


def reminder_mails() -> list:
    return [m for m in mail.outbox if "digital vouchers" not in m.subject]


@pytest.fixture
def claim_without_mailing(django_capture_on_commit_callbacks):
    """A sweep on a day when no worker mails: the ids it queued (claims and stale ones)."""

    def sweep(day) -> list[int]:
        waiting: list[int] = []
        with on(day), django_capture_on_commit_callbacks(execute=True):
            reminders.reminders_sweep(queue_mails=waiting.extend)
        return waiting

    return sweep


def test_mails_queued_up_on_catch_up_send_only_the_most_recent_reminder(
    pcns_licence, claim_without_mailing, django_capture_on_commit_callbacks
):
    end = pcns_licence.end_date
    waiting = {
        *claim_without_mailing(end - timedelta(days=30)),
        *claim_without_mailing(end - timedelta(days=7)),
        *claim_without_mailing(end),
    }
    assert len(waiting) == 3
    with on(end + timedelta(days=15)), django_capture_on_commit_callbacks(execute=True):
        assert reminders.reminders_mail(reminder_ids=sorted(waiting)) == 1
    owner_mails = [m for m in reminder_mails() if m.to == ["owner@example.com"]]
    [message] = owner_mails
    assert message.subject.endswith("has expired: 45 days of grace left")
    assert "This reminder is sent on the day of expiry." in message.body
    assert "days before the end date" not in message.body
    statuses = dict(Reminder.objects.values_list("step", "status"))
    assert statuses == {"days-30": "skipped", "days-7": "skipped", "expiry": "mailed"}


def test_no_before_expiry_reminder_goes_out_after_the_end_date(
    licence, claim_without_mailing, django_capture_on_commit_callbacks
):
    waiting = claim_without_mailing(licence.end_date - timedelta(days=7))
    with on(licence.end_date + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        assert reminders.reminders_mail(reminder_ids=waiting) == 0
    assert reminder_mails() == []
    assert Reminder.objects.get().skip_reason == "A later reminder is due instead."


def test_after_a_transfer_the_old_owner_and_its_partner_get_nothing_and_no_company_is_named(
    licence, owner_credits, channel, sweep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_propose(
            actor=owner_credits,
            activation_id=licence.activation_id,
            to_email="unrelated@example.com",
        )
    transfer_accept(actor=actor_of(channel.users["unrelated"]), public_id=transfer.public_id)
    # A transfer gives the licence a new Activation ID (the old one goes with the old owner).
    licence.refresh_from_db()
    mail.outbox.clear()
    with on(licence.end_date - timedelta(days=30)):
        sweep()
    mails = reminder_mails()
    assert {tuple(m.to) for m in mails} == {("unrelated@example.com",)}
    [message] = mails
    assert licence.activation_id in message.body
    # Nothing of the earlier owner's side: neither the company nor the partner's PO.
    for hidden in ["Acme", "owner@example.com", "Northwind", "northwind", "PO-1001"]:
        assert hidden not in message.body and hidden not in message.subject, hidden


def test_a_po_email_of_another_company_than_the_purchaser_is_not_written_to(
    licence, channel, sweep, make_user
):
    # The PO names an address that belongs to a user of an unrelated company.
    make_user(channel.companies["unrelated"], email="orders@northwind.example")
    with on(licence.end_date - timedelta(days=7)):
        sweep()
    assert [m for m in reminder_mails() if m.to == ["orders@northwind.example"]] == []
    assert [m for m in reminder_mails() if m.to == ["owner@example.com"]]
