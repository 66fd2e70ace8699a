"""The portal writes things one way: dates as "23 Dec 2027" (never ISO next to them), prices
with their currency, "License" in its words, possessives of names ending in s."""

import re

from django.core import mail

from conftest import actor_of
from entitle.accounts.services import invitation_create
from entitle.licensing.services.licences import licence_create
from entitle.sharing.models import Delegation

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_every_page_writes_dates_one_way(owner_credits, skus, channel, login):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="d"
    ).licence
    client = login(channel.users["owner"])
    renewal = f"/licences/{licence.public_id}/renewal/"
    priced = re.search(r'name="quoted" value="([^"]*)"', client.get(renewal).content.decode())
    form = {"terms": "1", "sku": "DCE-1Y", "idempotency_key": "d2", "action": "apply"}
    renewed = client.post(renewal, {**form, "quoted": priced.group(1)}, follow=True)
    renewed = renewed.content.decode()
    assert "License renewed: valid through" in renewed
    for page in [
        "/",
        "/licences/",
        renewal,
        "/consumption/",
        "/activity/",
        "/locker/",
        "/renewals/",
    ]:
        text = visible_text(client.get(page).content.decode())
        assert not ISO_DATE.search(text), (page, ISO_DATE.search(text))
        assert not re.search(r"\bLicences?\b", text), page  # the portal says License


def test_share_more_shares_nothing_until_the_owner_chooses(owner_credits, channel, login):
    client = login(channel.users["owner"])
    page = client.get("/sharing/").content.decode()
    assert '<option value="" selected>Choose what to share</option>' in page
    answer = client.post("/sharing/", {"email": "unrelated@example.com", "role": "view"})
    assert "Choose what to share." in answer.content.decode()
    assert not Delegation.objects.exists()


def test_a_name_ending_in_s_takes_an_apostrophe_only(channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=actor_of(channel.users["owner"]), email="new@example.com")
    assert "to Acme Data Centres' software portal" in mail.outbox[-1].subject
