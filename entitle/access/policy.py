"""THE access policy: which rows an actor may read or act on, as a SQL filter.

Every read of domain data starts from `Model.objects.visible_to(actor, action)`. Each model
has one rule in `entitle.access.rules`; a model without a rule, an unknown action, or a rule
that returns None yields nothing (deny by default). Selectors turn "not in the filtered
queryset" into NotFound, so missing and forbidden look the same.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.db import models

if TYPE_CHECKING:
    from entitle.access.actor import Actor


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


Rule = Callable[["Actor", Action], models.Q | None]
_rules: dict[type[models.Model], Rule] = {}

M = TypeVar("M", bound=models.Model)


def rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register the one rule for `model`."""

    def register(fn: Rule) -> Rule:
        if model in _rules:
            raise RuntimeError(f"{model.__name__} already has an access rule")
        _rules[model] = fn
        return fn

    return register


def restrict(
    queryset: models.QuerySet[M], actor: Actor, action: Action | str
) -> models.QuerySet[M]:
    from entitle.access import rules  # noqa: F401 — registers every rule on first use

    try:
        action = Action(action)
    except ValueError:
        return queryset.none()
    fn = _rules.get(queryset.model)
    if fn is None or not actor.is_authenticated:
        return queryset.none()
    condition = fn(actor, action)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


class PolicyQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor, action: Action | str = Action.VIEW) -> PolicyQuerySet:
        return restrict(self, actor, action)


PolicyManager = models.Manager.from_queryset(PolicyQuerySet)


def has_rule(model: type[models.Model]) -> bool:
    from entitle.access import rules  # noqa: F401

    return model in _rules
