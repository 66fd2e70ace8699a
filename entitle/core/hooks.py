"""Domain events: how a lower app lets higher apps react without importing them.

An app that makes something happen defines the event (a frozen dataclass in its `events.py`)
and `emit`s it inside its service's transaction. An app above it that must react subscribes a
handler in its `AppConfig.ready()`. Handlers run synchronously, in subscription order, inside
the emitter's transaction: a handler that raises rolls the whole change back, and a handler
that wants to act only after commit uses `transaction.on_commit` itself.

Who reacts to what is therefore written in one place per app (its `apps.py`), and the layers
stay one-way: the emitter never knows its subscribers.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar


class Event:
    """Base of every domain event (subclasses are frozen dataclasses)."""


E = TypeVar("E", bound=Event)

_handlers: dict[type[Event], list[Callable[[Event], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)  # type: ignore[arg-type]


def emit(event: Event) -> None:
    for handler in _handlers.get(type(event), ()):
        handler(event)


def subscribers(event_type: type[Event]) -> list[Callable[[Event], None]]:
    """Who reacts to an event type (for tests and docs)."""
    return list(_handlers.get(event_type, ()))
