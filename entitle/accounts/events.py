"""What the accounts app tells the apps above it (see `entitle.core.hooks`)."""

from dataclasses import dataclass

from entitle.accounts.models import User
from entitle.core.actor import Actor
from entitle.core.hooks import Event


@dataclass(frozen=True)
class UserJoined(Event):
    """A person now has an account. The sharing app attaches the licence information shared
    with their address before they had one."""

    actor: Actor
    user: User
