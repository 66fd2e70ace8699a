"""The activity feed pages by cursor, both ways, and a poller gets only what is new."""

from conftest import actor_of
from entitle.accounts.services import invitation_create

URL = "/api/v1/activity"


def invite(user, n: int) -> None:
    invitation_create(actor=actor_of(user), email=f"colleague{n}@example.com")


def test_activity_pages_back_in_time_and_a_poller_gets_only_what_is_new(acme_admin, token_client):
    client = token_client(acme_admin, ["activity:read"])
    for n in range(5):
        invite(acme_admin, n)
    seen, cursor = [], None
    while True:
        page = client.get(URL, {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [e["after"]["email"] for e in page["items"] if e["action"] == "invitation.created"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    invited = [f"colleague{n}@example.com" for n in reversed(range(5))]
    assert seen == invited

    first = client.get(URL, {"order": "oldest", "limit": 200}).json()
    assert first["items"][-1]["after"] == {"email": "colleague4@example.com", "status": "pending"}
    nothing_new = client.get(URL, {"order": "oldest", "cursor": first["next_cursor"]}).json()
    assert nothing_new == {"items": [], "next_cursor": first["next_cursor"]}
    invite(acme_admin, 5)
    news = client.get(URL, {"order": "oldest", "cursor": first["next_cursor"]}).json()
    assert [e["after"] for e in news["items"]] == [
        {"email": "colleague5@example.com", "status": "pending"}
    ]


def test_a_forged_cursor_is_a_422(acme_admin, token_client):
    answer = token_client(acme_admin, ["activity:read"]).get(URL, {"cursor": "bm9wZQ"})
    assert (answer.status_code, answer.json()["code"]) == (422, "cursor_invalid")
