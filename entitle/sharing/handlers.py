"""The sharing app's reactions to other apps' events (subscribed in `SharingConfig.ready()`)."""

from entitle.accounts.events import UserJoined
from entitle.sharing.services import attach_pending_delegations


def attach_delegations(event: UserJoined) -> None:
    attach_pending_delegations(event.user)
