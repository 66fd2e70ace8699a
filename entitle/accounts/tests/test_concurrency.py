import threading

import pytest
from django.db import connection

from conftest import actor_of
from entitle.accounts import errors, services
from entitle.accounts.models import Invitation

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_invitations_to_one_address_make_exactly_one(
    on_postgres, acme_admin, acme_member, globex_admin
):
    actors = [actor_of(u) for u in (acme_admin, acme_member, globex_admin)] * 4
    barrier = threading.Barrier(len(actors))
    outcomes: list[str] = []

    def invite(actor):
        try:
            barrier.wait()
            services.invitation_create(actor=actor, email="contested@example.com")
            outcomes.append("sent")
        except errors.AlreadyInvited:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=invite, args=(a,)) for a in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already"] * (len(actors) - 1) + ["sent"]
    assert Invitation.objects.filter(email="contested@example.com").count() == 1
