"""`entitle setup`: the vendor, its first staff account and the catalog, from zero, idempotently."""

import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from conftest import verify_session
from entitle.accounts.models import Company, User
from entitle.catalog.models import Product, Sku
from entitle.core.models import AuditEvent

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
PASSWORD = "correct-Horse-battery-9"


def setup(*args: str, **env) -> str:
    out = io.StringIO()
    call_command(
        "setup",
        "--vendor",
        "Example Software",
        "--email",
        "Ada@Example.com",
        "--name",
        "Ada Admin",
        *args,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("ENTITLE_ADMIN_PASSWORD", PASSWORD)


def catalog_state() -> list[tuple]:
    return sorted(
        Sku.objects.values_list(
            "code",
            "term_days",
            "partner_price",
            "product__code",
            "product__grace_days",
            "product__lease_days",
        )
    )


def test_a_fresh_install_gets_a_vendor_its_staff_and_the_catalog(password):
    output = setup("--catalog", str(SAMPLES / "catalog.json"))
    vendor = Company.objects.get(is_vendor=True)
    assert vendor.name == "Example Software"
    ada = User.objects.get(email="ada@example.com")
    assert ada.company == vendor and ada.is_vendor_staff and ada.role == User.Role.ADMIN
    assert Product.objects.count() == 3 and Sku.objects.count() == 9
    assert Product.objects.get(code="pcns").grace_days == 60
    assert Product.objects.get(code="pcns").lease_days == 30
    assert not Product.objects.get(code="secure-nmc").renewable_after_expiry
    assert "Created the vendor company “Example Software”." in output
    assert "log in at http://127.0.0.1:8000/login/ as ada@example.com" in output
    # Every change went through a service: the audit log has them, the catalog by Ada.
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions == {
        "company.created": 1,
        "user.created": 1,
        "product.created": 3,
        "sku.created": 9,
    }
    assert set(
        AuditEvent.objects.filter(action="sku.created").values_list("actor_user", flat=True)
    ) == {ada.pk}
    # And Ada can log in, and reach the back office once signed in with a second factor.
    client = Client()
    assert client.login(username="ada@example.com", password=PASSWORD)
    assert client.get("/admin/").status_code == 302
    verify_session(client, User.objects.get(email="ada@example.com"))
    assert client.get("/admin/").status_code == 200


def test_running_it_again_changes_nothing(password, monkeypatch):
    setup("--catalog", str(SAMPLES / "catalog.json"))
    events = AuditEvent.objects.count()
    monkeypatch.delenv("ENTITLE_ADMIN_PASSWORD")  # an existing account needs no password
    output = setup("--catalog", str(SAMPLES / "catalog.csv"))
    assert AuditEvent.objects.count() == events
    assert "is there already" in output and "12 product(s) and SKU(s)" in output


def test_the_csv_catalog_is_the_json_one(password, db):
    setup("--catalog", str(SAMPLES / "catalog.csv"))
    from_csv = catalog_state()
    Sku.objects.all().delete()
    Product.objects.all().delete()
    setup("--catalog", str(SAMPLES / "catalog.json"))
    assert catalog_state() == from_csv and len(from_csv) == 9


def test_another_email_adds_another_staff_account(password):
    setup()
    out = io.StringIO()
    call_command(
        "setup",
        "--vendor",
        "Example Software",
        "--email",
        "bo@example.com",
        "--name",
        "Bo",
        stdout=out,
    )
    assert User.objects.get(email="bo@example.com").is_vendor_staff
    assert Company.objects.filter(is_vendor=True).count() == 1


def test_no_password_and_no_terminal_is_one_clear_sentence_and_no_change(monkeypatch):
    monkeypatch.delenv("ENTITLE_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="Set ENTITLE_ADMIN_PASSWORD to the new account's"):
        setup("--no-input")
    assert not Company.objects.exists()


def test_a_weak_password_is_refused(monkeypatch):
    monkeypatch.setenv("ENTITLE_ADMIN_PASSWORD", "12345")
    with pytest.raises(CommandError, match="too short"):
        setup()
    assert not Company.objects.exists()


def test_another_vendor_name_is_refused(password):
    setup()
    with pytest.raises(CommandError, match="The vendor company is “Example Software”"):
        call_command("setup", "--vendor", "Other", "--email", "a@b.example", "--name", "A")


def test_an_account_of_a_customer_is_not_made_staff(password, make_company, make_user):
    setup()
    make_user(make_company("Customer"), email="cara@customer.example")
    with pytest.raises(CommandError, match="not a vendor-staff one"):
        call_command(
            "setup",
            "--vendor",
            "Example Software",
            "--email",
            "cara@customer.example",
            "--name",
            "Cara",
        )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.json", '{"products": [{"code": "x", "name": "X", "colour": "red"}]}', "colour"),
        ("c.json", "{not json", "not valid JSON"),
        ("c.json", '{"products": [{"code": "x"}]}', "missing field(s) name"),
        (
            "c.csv",
            "product_code,product_name,grace_days,sku_code,term_days,partner_price\n"
            "x,X,sixty,X-1,365,1.00\n",
            "line 2: grace_days cannot be 'sixty'",
        ),
        (
            "c.csv",
            "product_code,product_name,sku_code,sku_name,term_days,partner_price\n"
            "x,X,X-1,X for a year,365,-1\n",
            "The partner price must be zero or more",
        ),
        (
            "c.csv",
            "product_code,product_name,sku_code,term_days,partner_price\nx,X,X-1,365,1\n",
            "line 2, SKU: missing field(s) name",
        ),
        ("c.txt", "", "a .json or a .csv file"),
    ],
)
def test_a_bad_catalog_file_changes_nothing(password, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        setup("--catalog", str(path))
    assert not Company.objects.exists() and not Product.objects.exists()


def test_createsuperuser_without_a_vendor_says_so_in_one_sentence():
    with pytest.raises(CommandError) as refused:
        call_command(
            "createsuperuser", "--no-input", "--email", "root@example.com", "--name", "Root"
        )
    assert str(refused.value) == (
        "There is no vendor company yet: run `entitle setup`, which creates it and its "
        "first staff account."
    )
    assert not User.objects.exists()


def test_help_explains_the_password_and_the_catalog_formats(capsys):
    with pytest.raises(SystemExit):
        call_command("setup", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "$ENTITLE_ADMIN_PASSWORD" in text and "JSON or CSV" in text and "Idempotent" in text
