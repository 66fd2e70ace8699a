"""Activity pages read as sentences: names, verbs, identifiers people know, dates as every
page writes them; never event codes, internal ids or Python values."""

import csv
import io
import re
from datetime import timedelta

from django.utils import timezone

from entitle.accounts.services import invitation_create
from entitle.licensing.services.licences import licence_create, licence_renew


def rows(page: str) -> list[str]:
    cells = re.findall(r'<td class="sentence">(.*?)</td>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_company_activity_is_sentences_with_names(owner_credits, skus, channel, login):
    licence = licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=2, terms=1, idempotency_key="a1"
    ).licence
    licence_renew(
        actor=owner_credits, activation_id=licence.activation_id, terms=1, idempotency_key="a2"
    )
    invitation_create(actor=owner_credits, email="new.person@example.com")
    owner = channel.users["owner"]
    page = login(owner).get("/activity/").content.decode()
    lines = rows(page)
    short = licence.activation_id.split("-")[0] + "-…"
    licence.refresh_from_db()
    through = licence.end_date - timedelta(days=1)
    assert (
        f"{owner.name} renewed the license {short}: valid through {through.day} {through:%b %Y}"
    ) in "\n".join(lines)
    assert f"{owner.name} invited a co-worker new.person@example.com" in "\n".join(lines)
    assert f"{owner.name} redeemed a voucher" in "\n".join(lines)
    for leak in ["licence.renewed", "None", "False", "True", "{", licence.activation_id]:
        assert leak not in "\n".join(lines), leak


def test_activity_filters_by_action_kind_and_date_and_exports_what_it_shows(
    owner_credits, skus, channel, login
):
    licence_create(
        actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key="f1"
    )
    client = login(channel.users["owner"])
    only = rows(client.get("/activity/", {"action": "licence.created"}).content.decode())
    assert len(only) == 1 and "created the license" in only[0]
    vouchers = rows(client.get("/activity/", {"kind": "locker.voucher"}).content.decode())
    assert vouchers and all("voucher" in line for line in vouchers)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert rows(client.get("/activity/", {"since": tomorrow}).content.decode()) == []
    export = client.get("/activity/", {"action": "licence.created", "format": "csv"})
    exported = b"".join(export.streaming_content).decode()
    table = list(csv.reader(io.StringIO(exported)))
    assert table[0] == ["when", "who", "what happened", "to what", "details"]
    assert [row[2] for row in table[1:]] == ["created the license"]
    assert "licence.created" not in exported


def test_staff_see_every_companys_events_with_the_company_named(channel, login, partner_po):
    page = login(channel.users["vendor"]).get("/activity/").content.decode()
    # Staff act on customers' objects: named with their company.
    assert "Vera Vendor (Vendor Ltd) fulfilled the purchase order PO-1001" in "\n".join(rows(page))


def test_describe_leaves_out_ids_and_writes_values_in_words(db):
    from entitle.core.activity import describe
    from entitle.core.models import AuditEvent

    event = AuditEvent(
        occurred_at=timezone.now(),
        action="delegation.granted",
        object_type="sharing.delegation",
        object_id="17",
        object_repr="View of one licence",
        after={
            "role": "view",
            "scope": "licence",
            "licence": "7KQ2M-XH4PA-9RTCW-EN3BZ",
            "po": None,
            "delegate": 42,
            "invited_email": "",
            "revoked": False,
        },
    )
    line = describe(event)
    assert line.sentence == (
        "Entitle shared license information on 7KQ2M-…: role view; shared one license"
    )
    changed = AuditEvent(
        occurred_at=timezone.now(),
        action="licence.suspended",
        object_type="licensing.licence",
        object_id="3",
        object_repr="7KQ2M-XH4PA-9RTCW-EN3BZ",
        before={"suspended": False},
        after={"suspended": True, "reason": "Chargeback"},
    )
    assert describe(changed).details == ("reason Chargeback",)
