"""Failed sign-ins are limited per (account, client) and per client, on every way in: a
guesser is blocked where it guesses from, never the account's owner on another client."""

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD

GUESSER, OWNER = "203.0.113.7", "198.51.100.1"


def portal_login(client: Client, email: str, password: str) -> bool:
    client.post("/login/", {"username": email, "password": password})
    return "_auth_user_id" in client.session


@pytest.fixture
def limits(settings):
    settings.ENTITLE = {
        **settings.ENTITLE,
        "LOGIN_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_FAILURES_PER_CLIENT": 12,
    }


def test_a_guesser_is_blocked_where_it_guesses_from_and_the_owner_is_not(acme_admin, limits):
    guesser = Client(REMOTE_ADDR=GUESSER)
    for _ in range(11):
        assert not portal_login(guesser, "olivia@acme.example", "wrong-guess")
    page = guesser.post("/login/", {"username": "olivia@acme.example", "password": PASSWORD})
    assert "Too many failed attempts to sign in from here." in page.content.decode()
    assert not portal_login(Client(REMOTE_ADDR=GUESSER), "olivia@acme.example", PASSWORD)
    # The owner, elsewhere, is not affected at all.
    assert portal_login(Client(REMOTE_ADDR=OWNER), "OLIVIA@acme.example", PASSWORD)


def test_only_failures_count(acme_admin, limits):
    for _ in range(30):
        assert portal_login(Client(REMOTE_ADDR=OWNER), "olivia@acme.example", PASSWORD)


def test_the_block_ends_with_its_window(acme_admin, limits):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            portal_login(Client(REMOTE_ADDR=GUESSER), "olivia@acme.example", "wrong")
        assert not portal_login(Client(REMOTE_ADDR=GUESSER), "olivia@acme.example", PASSWORD)
        traveller.shift(15 * 60 + 1)
        assert portal_login(Client(REMOTE_ADDR=GUESSER), "olivia@acme.example", PASSWORD)


def test_a_client_guessing_many_accounts_is_blocked_for_all_of_them(acme_admin, limits):
    guesser = Client(REMOTE_ADDR=GUESSER)
    for n in range(12):
        portal_login(guesser, f"someone{n}@acme.example", "wrong")
    assert not portal_login(Client(REMOTE_ADDR=GUESSER), "olivia@acme.example", PASSWORD)
    assert portal_login(Client(REMOTE_ADDR=OWNER), "olivia@acme.example", PASSWORD)


def test_the_back_office_signs_in_through_the_portal_with_its_limits(vendor_staff, limits):
    # The back office has no log-in form of its own: it sends people to the portal's (where
    # the second factor it requires is asked), so the portal's limits are its limits.
    answer = Client(REMOTE_ADDR=GUESSER).post(
        "/admin/login/?next=/admin/", {"username": vendor_staff.email, "password": PASSWORD}
    )
    assert (answer.status_code, answer.url) == (302, "/login/?next=%2Fadmin%2F")
    guesser = Client(REMOTE_ADDR=GUESSER)
    for _ in range(5):
        assert not portal_login(guesser, vendor_staff.email, "wrong-guess")
    assert not portal_login(Client(REMOTE_ADDR=GUESSER), vendor_staff.email, PASSWORD)
    assert portal_login(Client(REMOTE_ADDR=OWNER), vendor_staff.email, PASSWORD)


def test_wrong_api_tokens_are_limited_per_client(acme_admin, token_client, limits):
    guesser = {"REMOTE_ADDR": GUESSER, "HTTP_AUTHORIZATION": "Bearer ent_not-a-real-token"}
    answers = [Client(**guesser).get("/api/v1/licences") for _ in range(13)]
    assert [a.status_code for a in answers] == [401] * 12 + [429]
    assert answers[-1].json()["code"] == "sign_in_limited"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 900
    # A real token works from anywhere else.
    owner = token_client(acme_admin)
    assert owner.get("/api/v1/licences", REMOTE_ADDR=OWNER).status_code == 200
