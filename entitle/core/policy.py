"""THE access policy's mechanism: which rows an actor may read or act on, as a SQL filter.

Every read of domain data starts from `Model.objects.visible_to(actor, action)`. Each model has
one **rule**, registered by the app that owns the model (in its `policy.py`, imported from its
`AppConfig.ready()`): given an authenticated actor and an action it returns a `Q` filter, or
None to deny. A higher app may add **grants** to a lower app's model — the sharing app's
delegations widen who sees a licence — which are OR-ed with the rule. A model without a rule,
an unknown action, an anonymous actor, or a rule and grants that all return None yield nothing
(deny by default). Selectors turn "not in the filtered queryset" into NotFound, so missing and
forbidden look the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from django.db import models

from entitle.core.actor import Actor
from entitle.core.errors import VendorStaffOnly


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


Rule = Callable[[Actor, Action], models.Q | None]
M = TypeVar("M", bound=models.Model)

_rules: dict[type[models.Model], Rule] = {}
_grants: dict[type[models.Model], list[Rule]] = defaultdict(list)


def rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register the one rule for `model` (by the app that owns it)."""

    def register(fn: Rule) -> Rule:
        if model in _rules:
            raise RuntimeError(f"{model.__name__} already has an access rule")
        _rules[model] = fn
        return fn

    return register


def grant(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register a higher app's extra access to `model`, OR-ed with its rule."""

    def register(fn: Rule) -> Rule:
        _grants[model].append(fn)
        return fn

    return register


def require_vendor_staff(actor: Actor) -> None:
    """For the back office's actions (record and fulfil POs, suspend, void, rotate keys)."""
    if not actor.is_vendor_staff:
        raise VendorStaffOnly()


def has_rule(model: type[models.Model]) -> bool:
    return model in _rules


def condition(model: type[models.Model], actor: Actor, action: Action | str) -> models.Q | None:
    """The filter `actor` may `action` rows of `model` under, or None for none at all."""
    try:
        action = Action(action)
    except ValueError:
        return None
    base = _rules.get(model)
    if base is None or not actor.is_authenticated:
        return None
    allowed = base(actor, action)
    if allowed is not None and not allowed:
        # An empty Q is every row; OR-ing a grant into it would narrow it to the grant.
        return allowed
    for extra in _grants.get(model, ()):
        more = extra(actor, action)
        if more is not None:
            allowed = more if allowed is None else allowed | more
    return allowed


def restrict(
    queryset: models.QuerySet[M], actor: Actor, action: Action | str
) -> models.QuerySet[M]:
    allowed = condition(queryset.model, actor, action)
    return queryset.none() if allowed is None else queryset.filter(allowed)


def visible_ids(model: type[models.Model], actor: Actor, action: Action | str) -> models.QuerySet:
    """The primary keys of `model` the actor may `action`, as a subquery: how one model's rule
    builds on another's (a licence's reminders are for whoever may act on the licence)."""
    return restrict(model._base_manager.all(), actor, action).values("pk")


class RestrictedPrefetch(models.Prefetch):
    """A prefetch whose related rows go through the policy too, so that a page listing licences
    shows only the devices the reader may see on each.

    The rows land in a list attribute (`to_attr`), never in the related manager's cache: code
    that reads `licence.visible_bindings` cannot fall back by mistake to the unrestricted
    `licence.bindings.all()`, which the policy lint forbids outside services."""

    def __init__(
        self,
        lookup: str,
        model: type[models.Model],
        *,
        actor: Actor,
        to_attr: str,
        action: Action | str = Action.VIEW,
        select_related: tuple[str, ...] = (),
        where: models.Q | None = None,
    ) -> None:
        rows = model._base_manager.select_related(*select_related)
        rows = restrict(rows.filter(where) if where is not None else rows, actor, action)
        super().__init__(lookup, queryset=rows, to_attr=to_attr)


class PolicyQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor, action: Action | str = Action.VIEW) -> PolicyQuerySet:
        return restrict(self, actor, action)


PolicyManager = models.Manager.from_queryset(PolicyQuerySet)
