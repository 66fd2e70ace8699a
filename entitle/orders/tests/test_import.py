"""Bulk import of POs from CSV: the function, the command and the back office around it."""

import html
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from conftest import actor_of
from entitle import demo
from entitle.accounts.models import User
from entitle.catalog.models import Sku
from entitle.core.errors import VendorStaffOnly
from entitle.core.models import AuditEvent
from entitle.locker.models import Voucher
from entitle.locker.services import voucher_redeem
from entitle.orders.imports import CsvInvalid, Rejection, po_import_csv
from entitle.orders.models import OrderLine, PurchaseOrder
from entitle.orders.services import LineInput, po_record

COLUMNS = [
    "po_number",
    "purchasing_entity",
    "reseller",
    "owner",
    "installer",
    "channel",
    "po_email",
    "msa_reference",
    "ordered_on",
    "sku",
    "quantity",
    "unit_price",
]
HEADER = ",".join(COLUMNS)
# The `channel` fixture's partner sale; a row changes what it needs.
PARTNER = {
    "purchasing_entity": "Northwind Distribution",
    "reseller": "Bluebird IT Resellers",
    "owner": "Acme Data Centres",
    "installer": "Initech Managed Services",
    "channel": "partner",
    "po_email": "orders@northwind.example",
    "msa_reference": "MSA-7",
    "ordered_on": "2026-01-15",
    "quantity": "1",
    "unit_price": "",
}
DIRECT = {
    "purchasing_entity": "Acme Data Centres",
    "reseller": "",
    "installer": "",
    "channel": "direct",
    "po_email": "buying@acme.example",
}
SAMPLE = Path(settings.BASE_DIR) / "docs" / "samples" / "purchase-orders.csv"


def row(po_number: str, sku: str, /, **values: str) -> str:
    fields = {**PARTNER, "po_number": po_number, "sku": sku, **values}
    return ",".join(fields[column] for column in COLUMNS)


def three_pos_one_bad() -> list[str]:
    return [
        HEADER,
        row("A-1", "DCE-1Y", quantity="25", unit_price="40.00"),  # row 2
        row("A-1", "PCNS-3Y", quantity="10"),  # row 3
        row("B-2", "DCE-3Y", quantity="3"),  # row 4
        row("B-2", "NOPE-9Y"),  # row 5
        row("C-3", "SECURE-NMC-1Y", quantity="4", **DIRECT),  # row 6
    ]


def lines_of(po: PurchaseOrder) -> list[tuple]:
    return [(ln.number, ln.sku.code, ln.quantity, ln.unit_price) for ln in po.lines.all()]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


# --- po_import_csv ---


def test_a_bad_po_is_rejected_whole_and_the_others_are_recorded(channel, skus):
    progress = []
    report = po_import_csv(
        actor=channel.staff,
        rows=three_pos_one_bad(),
        on_progress=lambda done, total: progress.append((done, total)),
    )

    assert [po.po_number for po in report.created] == ["A-1", "C-3"]
    a, c = report.created
    assert lines_of(a) == [
        (1, "DCE-1Y", 25, Decimal("40.00")),
        (2, "PCNS-3Y", 10, skus["PCNS-3Y"].partner_price),
    ]
    assert (a.purchasing_entity, a.reseller, a.owner, a.installer) == (
        channel.companies["purchasing"],
        channel.companies["reseller"],
        channel.companies["owner"],
        channel.companies["installer"],
    )
    assert (a.msa_reference, a.ordered_on, a.recorded_by) == (
        "MSA-7",
        date(2026, 1, 15),
        channel.users["vendor"],
    )
    assert lines_of(c) == [(1, "SECURE-NMC-1Y", 4, skus["SECURE-NMC-1Y"].direct_price)]
    assert (c.channel, c.reseller, c.owner) == ("direct", None, channel.companies["owner"])
    assert report.rejected == [
        Rejection("B-2", "Northwind Distribution", [4, 5], "Row 5: there is no SKU 'NOPE-9Y'.")
    ]
    assert str(report.rejected[0]) == (
        "PO B-2 of Northwind Distribution, rows 4, 5: Row 5: there is no SKU 'NOPE-9Y'."
    )
    assert report.summary() == "2 POs imported, 1 rejected"
    assert progress == [(1, 3), (2, 3), (3, 3)]
    # Nothing of the bad PO was written: no PO, no line, no audit event.
    assert not PurchaseOrder.objects.filter(po_number="B-2").exists()
    assert OrderLine.objects.count() == 3
    recorded = AuditEvent.objects.filter(action="po.recorded")
    assert sorted(recorded.values_list("object_repr", flat=True)) == ["PO A-1", "PO C-3"]


def test_names_ignore_case_and_optional_columns_may_be_left_out(channel, skus):
    rows = [
        "po_number,purchasing_entity,owner,channel,po_email,sku,quantity",
        "D-4,northwind DISTRIBUTION,acme data centres,Partner,Orders@Northwind.example,PCNS-1Y,2",
        "D-4,Northwind Distribution,Acme Data Centres,partner,orders@northwind.example,DCE-1Y,1",
    ]
    report = po_import_csv(actor=channel.staff, rows=rows)

    assert report.rejected == []
    [po] = report.created
    assert (po.purchasing_entity, po.owner, po.reseller) == (
        channel.companies["purchasing"],
        channel.companies["owner"],
        None,
    )
    assert (po.channel, po.po_email) == ("partner", "orders@northwind.example")
    assert [ln.sku.code for ln in po.lines.all()] == ["PCNS-1Y", "DCE-1Y"]


def test_rows_that_disagree_on_the_po_reject_it_naming_the_column(channel, skus):
    rows = [
        HEADER,
        row("E-5", "DCE-1Y"),
        row("E-5", "PCNS-1Y", po_email="other@northwind.example"),
        row("E-5", "PCNS-3Y", reseller=""),
    ]
    report = po_import_csv(actor=channel.staff, rows=rows)

    assert report.created == []
    [rejection] = report.rejected
    assert rejection.rows == [2, 3, 4]
    assert rejection.reason == (
        "The rows of this PO disagree on reseller ('Bluebird IT Resellers' on row 2, '' on "
        "row 4); po_email ('orders@northwind.example' on row 2, 'other@northwind.example' "
        "on row 3)."
    )
    assert not PurchaseOrder.objects.exists()


def test_a_po_number_the_purchaser_already_has_is_a_duplicate(partner_po, channel):
    rows = [
        HEADER,
        row(partner_po.po_number, "DCE-1Y"),
        # The same number is free for another purchasing entity.
        row(partner_po.po_number, "DCE-1Y", purchasing_entity="Bluebird IT Resellers"),
    ]
    report = po_import_csv(actor=channel.staff, rows=rows)

    assert report.rejected == [
        Rejection(
            "PO-1001",
            "Northwind Distribution",
            [2],
            "This purchasing entity already has a PO with this number.",
        )
    ]
    [po] = report.created
    assert (po.po_number, po.purchasing_entity) == ("PO-1001", channel.companies["reseller"])
    assert PurchaseOrder.objects.filter(po_number="PO-1001").count() == 2


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"owner": "Acme Data Centers"}, "No company is named 'Acme Data Centers' (owner)."),
        ({"installer": "Nobody Ltd"}, "No company is named 'Nobody Ltd' (installer)."),
        ({"quantity": "two"}, "Row 2: the quantity must be a whole number, not 'two'."),
        ({"quantity": "2.5"}, "Row 2: the quantity must be a whole number, not '2.5'."),
        ({"quantity": "0"}, "Line 1: the quantity must be a whole number of at least 1."),
        (
            {"ordered_on": "15/01/2026"},
            "Row 2: the order date must be a date written YYYY-MM-DD, not '15/01/2026'.",
        ),
        (
            {"ordered_on": "2026-02-30"},
            "Row 2: the order date must be a date written YYYY-MM-DD, not '2026-02-30'.",
        ),
        ({"unit_price": "forty"}, "Row 2: the unit price must be a number, not 'forty'."),
        ({"unit_price": "NaN"}, "Row 2: the unit price must be a number, not 'NaN'."),
        (
            {"unit_price": "-1"},
            "Line 1: the unit price must be zero or more, with at most two decimals.",
        ),
        ({"channel": "retail"}, "The channel must be partner or direct."),
        ({"po_email": "not-an-address"}, "Please enter a valid PO email address."),
        ({"owner": ""}, "Row 2 has no owner."),
        ({"sku": ""}, "Row 2 has no SKU."),
        (
            {**DIRECT, "reseller": "Bluebird IT Resellers"},
            "A direct order is placed by the owner itself, with no reseller.",
        ),
    ],
)
def test_each_problem_has_a_clear_reason(channel, skus, values, reason):
    report = po_import_csv(actor=channel.staff, rows=[HEADER, row("F-6", "DCE-1Y", **values)])

    assert report.created == []
    assert [(r.rows, r.reason) for r in report.rejected] == [([2], reason)]
    assert not PurchaseOrder.objects.exists()


def test_a_row_without_po_number_is_rejected_on_its_own(channel, skus):
    rows = [HEADER, row("G-7", "DCE-1Y"), row("", "PCNS-1Y"), ",,,,,,,,,,,", row("G-7", "DCE-3Y")]
    report = po_import_csv(actor=channel.staff, rows=rows)

    [po] = report.created
    assert [ln.sku.code for ln in po.lines.all()] == ["DCE-1Y", "DCE-3Y"]
    assert report.rejected == [
        Rejection(
            "", "Northwind Distribution", [3], "Row 3 has no PO number, so it belongs to no PO."
        )
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER.replace(",quantity", ""), "The header lacks the column(s) quantity."),
        (
            HEADER.replace("reseller", "resellr"),
            "The header has column(s) this import does not know: 'resellr'. Optional columns "
            "are reseller, installer, msa_reference, ordered_on, unit_price.",
        ),
        (HEADER + ",sku", "The header names the column(s) sku more than once."),
    ],
)
def test_a_bad_header_imports_nothing(channel, skus, header, message):
    with pytest.raises(CsvInvalid) as caught:
        po_import_csv(actor=channel.staff, rows=[header, row("H-8", "DCE-1Y")])

    assert (caught.value.status, caught.value.code, caught.value.message) == (
        422,
        "csv_invalid",
        message,
    )
    assert not PurchaseOrder.objects.exists()


def test_an_empty_file_is_invalid(channel):
    with pytest.raises(CsvInvalid, match="The file is empty"):
        po_import_csv(actor=channel.staff, rows=[])


def test_only_vendor_staff_may_import(channel, skus):
    with pytest.raises(VendorStaffOnly):
        po_import_csv(
            actor=actor_of(channel.users["purchasing"]), rows=[HEADER, row("I-9", "DCE-1Y")]
        )
    assert not PurchaseOrder.objects.exists()


def test_the_sample_file_imports_into_the_demo_world(db):
    demo.load()
    before = PurchaseOrder.objects.count()
    staff = actor_of(User.objects.get(email="staff@entitle.example"))
    with SAMPLE.open(encoding="utf-8-sig", newline="") as rows:
        report = po_import_csv(actor=staff, rows=rows)

    assert report.rejected == []
    assert report.summary() == "3 POs imported, 0 rejected"
    assert {po.po_number: po.lines.count() for po in report.created} == {
        "NW-2026-0101": 2,
        "BB-2026-0007": 1,
        "GLX-7790": 2,
    }
    assert PurchaseOrder.objects.count() == before + 3


# --- the import_pos command ---


@pytest.fixture
def csv_file(tmp_path):
    def write(lines: list[str]) -> Path:
        path = tmp_path / "pos.csv"
        # As a spreadsheet saves it: a byte-order mark and CRLF line ends.
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
        return path

    return write


def test_the_command_imports_and_reports(channel, skus, csv_file, capsys):
    path = csv_file([HEADER, row("J-1", "DCE-1Y"), row("J-2", "PCNS-1Y")])
    call_command("import_pos", str(path), "--as", channel.users["vendor"].email)

    out = capsys.readouterr().out
    assert "Recorded PO J-1 of Northwind Distribution." in out
    assert "2 POs imported, 0 rejected" in out
    assert PurchaseOrder.objects.count() == 2


def test_the_command_fails_when_a_po_is_rejected(channel, skus, csv_file, capsys):
    path = csv_file(three_pos_one_bad())
    with pytest.raises(CommandError, match="2 POs imported, 1 rejected"):
        call_command("import_pos", str(path), "--as", channel.users["vendor"].email)

    out = capsys.readouterr().out
    assert (
        "Rejected PO B-2 of Northwind Distribution, rows 4, 5: Row 5: there is no SKU 'NOPE-9Y'."
    ) in out
    assert PurchaseOrder.objects.count() == 2


def test_the_entitle_command_exits_non_zero_on_rejections(channel, skus, csv_file, capsys):
    from entitle.cli import main

    path = csv_file(three_pos_one_bad())
    with pytest.raises(SystemExit) as exited:
        main(["import_pos", str(path), "--as", channel.users["vendor"].email])

    assert exited.value.code != 0
    assert "2 POs imported, 1 rejected" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("owner@example.com", "owner@example.com is not an active member of the vendor's staff."),
        ("nobody@example.com", "No user has the e-mail address nobody@example.com."),
    ],
)
def test_the_command_acts_only_as_vendor_staff(channel, skus, csv_file, who, message):
    path = csv_file([HEADER, row("K-1", "DCE-1Y")])
    with pytest.raises(CommandError) as caught:
        call_command("import_pos", str(path), "--as", who)

    assert str(caught.value) == message
    assert not PurchaseOrder.objects.exists()


def test_the_command_reports_a_bad_header(channel, skus, csv_file):
    path = csv_file([HEADER.replace(",sku", ""), row("L-1", "DCE-1Y")])
    with pytest.raises(CommandError, match="The header lacks the column"):
        call_command("import_pos", str(path), "--as", channel.users["vendor"].email)
    assert not PurchaseOrder.objects.exists()


# --- the back office ---

CHANGELIST = "admin:orders_purchaseorder_changelist"
IMPORT = "admin:orders_purchaseorder_import"


def test_the_order_list_links_to_the_import(channel, login):
    page = login(channel.users["vendor"]).get(reverse(CHANGELIST))

    assert page.status_code == 200
    assert f'href="{reverse(IMPORT)}"' in page.content.decode()


def test_the_import_page_reports_what_was_imported(channel, skus, login):
    client = login(channel.users["vendor"])
    assert client.get(reverse(IMPORT)).status_code == 200
    upload = SimpleUploadedFile(
        "pos.csv", "\n".join(three_pos_one_bad()).encode("utf-8-sig"), content_type="text/csv"
    )
    page = client.post(reverse(IMPORT), {"file": upload}, follow=True)

    assert page.redirect_chain == [(reverse(CHANGELIST), 302)]
    text = text_of(page)
    assert "2 POs imported, 1 rejected" in text
    assert "PO B-2 of Northwind Distribution, rows 4, 5: Row 5: there is no SKU 'NOPE-9Y'." in text
    assert set(PurchaseOrder.objects.values_list("po_number", flat=True)) == {"A-1", "C-3"}


def test_the_import_page_shows_a_bad_file_next_to_the_field(channel, skus, login):
    upload = SimpleUploadedFile("pos.csv", b"po_number,sku\nX-1,DCE-1Y\n")
    page = login(channel.users["vendor"]).post(reverse(IMPORT), {"file": upload})

    assert page.status_code == 200
    assert "The header lacks the column(s) purchasing_entity, owner" in text_of(page)
    assert not PurchaseOrder.objects.exists()


def test_the_import_page_is_for_vendor_staff_only(channel, login):
    page = login(channel.users["purchasing"]).get(reverse(IMPORT))

    assert page.status_code == 302
    assert page.url.startswith(reverse("admin:login"))


def test_the_fulfil_action_issues_and_mails_the_vouchers(
    channel, skus, login, django_capture_on_commit_callbacks
):
    c = channel.companies
    po = po_record(
        actor=channel.staff,
        po_number="M-1",
        po_email="orders@northwind.example",
        channel="partner",
        purchasing_entity=c["purchasing"],
        owner=c["owner"],
        lines=[LineInput(skus["DCE-1Y"], 5), LineInput(skus["PCNS-1Y"], 3)],
    )
    client = login(channel.users["vendor"])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse(CHANGELIST), {"action": "fulfil", "_selected_action": [po.pk]}, follow=True
        )

    assert page.status_code == 200
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.FULFILLED
    vouchers = Voucher.objects.filter(line__po=po)
    assert sorted(v.credits for v in vouchers) == [Decimal("3.00"), Decimal("5.00")]
    [message] = mail.outbox
    assert message.to == ["orders@northwind.example"]
    assert "1 of 1 selected purchase order(s) fulfilled" in text_of(page)


def test_the_void_action_voids_and_refuses_redeemed_vouchers(partner_po, channel, login):
    dce = partner_po.lines.get(sku__code="DCE-1Y").voucher
    pcns = partner_po.lines.get(sku__code="PCNS-3Y").voucher
    voucher_redeem(actor=actor_of(channel.users["owner"]), code=dce.code, idempotency_key="k")
    page = login(channel.users["vendor"]).post(
        reverse("admin:locker_voucher_changelist"),
        {"action": "void", "_selected_action": [dce.pk, pcns.pk]},
        follow=True,
    )

    dce.refresh_from_db()
    pcns.refresh_from_db()
    assert (dce.status, pcns.status) == (Voucher.Status.REDEEMED, Voucher.Status.VOID)
    text = text_of(page)
    assert f"{dce.code}: A redeemed voucher cannot be voided." in text
    assert "1 of 2 selected voucher(s) void." in text


def test_a_sku_edited_in_the_back_office_is_audited(channel, skus, login):
    sku = skus["DCE-1Y"]
    page = login(channel.users["vendor"]).post(
        reverse("admin:catalog_sku_change", args=[sku.pk]),
        {
            "code": sku.code,
            "product": sku.product_id,
            "name": sku.name,
            "term_days": sku.term_days,
            "partner_price": "42.00",
            "is_active": "on",
        },
    )

    assert page.status_code == 302
    assert Sku.objects.get(pk=sku.pk).partner_price == Decimal("42.00")
    event = AuditEvent.objects.get(action="sku.changed")
    assert (event.before["partner_price"], event.after["partner_price"]) == ("40.00", "42.00")


@pytest.mark.parametrize(
    "model",
    [
        "orders.purchaseorder",
        "orders.entitlement",
        "catalog.product",
        "catalog.sku",
        "locker.voucher",
        "locker.locker",
        "locker.ledgerentry",
    ],
)
def test_the_back_office_pages_show(partner_po, channel, login, model):
    from django.apps import apps

    code = partner_po.lines.get(sku__code="DCE-1Y").voucher.code
    voucher_redeem(actor=actor_of(channel.users["owner"]), code=code, idempotency_key="k")
    client = login(channel.users["vendor"])
    app_label, model_name = model.split(".")
    obj = apps.get_model(app_label, model_name).objects.first()

    listing = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    detail = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))

    assert (listing.status_code, detail.status_code) == (200, 200)
