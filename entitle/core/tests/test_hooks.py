"""Who reacts to which domain event: the wiring each app declares in its AppConfig.ready()."""

from django.db import transaction

from entitle.accounts.events import UserJoined
from entitle.core import hooks
from entitle.core.hooks import Event
from entitle.locker import handlers as locker_handlers
from entitle.locker.events import VoucherRedeemed
from entitle.orders.events import PoFulfilled
from entitle.renewals import handlers as renewals_handlers
from entitle.sharing import handlers as sharing_handlers


def test_each_cross_app_reaction_is_subscribed_once():
    assert hooks.subscribers(PoFulfilled) == [locker_handlers.issue_vouchers]
    assert hooks.subscribers(VoucherRedeemed) == [renewals_handlers.apply_shop_order]
    assert hooks.subscribers(UserJoined) == [sharing_handlers.attach_delegations]


class Happened(Event):
    pass


def test_a_failing_handler_rolls_the_emitters_change_back(db, monkeypatch, make_company):
    from entitle.accounts.models import Company

    def refuse(event):
        raise RuntimeError("no")

    monkeypatch.setitem(hooks._handlers, Happened, [refuse])
    try:
        with transaction.atomic():
            make_company("Rolled Back Ltd")
            hooks.emit(Happened())
    except RuntimeError:
        pass
    assert not Company.objects.filter(name="Rolled Back Ltd").exists()
