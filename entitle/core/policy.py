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
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from django.db import models
from django.db.models.functions import Cast

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


def through(allowed: models.Q, prefix: str) -> models.Q:
    """The condition `allowed` on a model, for a row that reaches that model through `prefix`
    (`"entitlement__"`): a stored copy of a row is readable as the row is. Only for conditions
    of plain lookups (a condition holding an expression cannot be moved)."""
    moved = models.Q()
    moved.connector, moved.negated = allowed.connector, allowed.negated
    for child in allowed.children:
        if isinstance(child, models.Q):
            moved.children.append(through(child, prefix))
        else:
            lookup, value = child  # an expression here fails loudly
            moved.children.append((prefix + lookup, value))
    return moved


def restrict(
    queryset: models.QuerySet[M], actor: Actor, action: Action | str
) -> models.QuerySet[M]:
    allowed = condition(queryset.model, actor, action)
    return queryset.none() if allowed is None else queryset.filter(allowed)


def permitted(model: type[models.Model], actor: Actor, action: Action | str) -> models.Expression:
    """Whether the actor may `action` the row, as a boolean on the row itself: to annotate
    rows read for another action (may this reader also change what it sees?). The rule's own
    condition, so the database decides it row by row instead of through a second read of
    every row the actor may `action`. Only for rules without joins to many rows."""
    allowed = condition(model, actor, action)
    if allowed is None:
        return models.Value(False, output_field=models.BooleanField())
    if not allowed:
        return models.Value(True, output_field=models.BooleanField())
    return models.ExpressionWrapper(allowed, output_field=models.BooleanField())


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


# --- Field groups: which fields of a visible row the actor may see. ---
#
# Seeing a row is not seeing all of it: the purchasing entity sees that its voucher was
# redeemed, never by whom; a role on a PO sees the entitlement, not the owner's identity. Each
# app declares, next to its row rules, the **field groups** of its models — the fields that
# hold one kind of information — and who may see each (a `Q` on the row, like a row rule).
# `with_field_groups` annotates a queryset with one boolean per group (`may_see_<group>`, an
# EXISTS subquery, so a list stays one query); `hidden_fields` says which fields of a fetched
# row to leave out. API schemas (`entitle.core.schemas.PolicySchema`), pages, CSV exports and
# activity views all ask these, so a field is shown only where its group may be seen. A row
# that was not annotated shows none of its guarded fields (deny by default).


@dataclass(frozen=True)
class FieldGroup:
    model: type[models.Model]
    name: str
    # The model attributes (fields, relations, properties) that carry this information; in
    # audit events of the model, the before/after keys of the same names.
    fields: frozenset[str]
    rule: Callable[[Actor], models.Q | None]

    @property
    def attribute(self) -> str:
        return f"may_see_{self.name}"


_field_groups: dict[type[models.Model], list[FieldGroup]] = defaultdict(list)


def field_group(
    model: type[models.Model], name: str, *, fields: tuple[str, ...]
) -> Callable[[Callable[[Actor], models.Q | None]], Callable[[Actor], models.Q | None]]:
    """Register who may see the `fields` of `model` rows: a function of the actor returning a
    `Q` on the row (`Q()`: every row; None: none)."""

    def register(fn: Callable[[Actor], models.Q | None]) -> Callable[[Actor], models.Q | None]:
        if any(group.name == name for group in _field_groups[model]):
            raise RuntimeError(f"{model.__name__} already has a field group {name!r}")
        _field_groups[model].append(FieldGroup(model, name, frozenset(fields), fn))
        return fn

    return register


def field_groups(model: type[models.Model]) -> list[FieldGroup]:
    return list(_field_groups.get(model, ()))


def _may_see(group: FieldGroup, actor: Actor, pk: models.Expression) -> models.Expression:
    allowed = group.rule(actor) if actor.is_authenticated else None
    if allowed is None:
        return models.Value(False)
    if not allowed:
        return models.Value(True)
    return models.Exists(group.model._base_manager.filter(allowed, pk=pk))


def with_field_groups(queryset: models.QuerySet[M], actor: Actor) -> models.QuerySet[M]:
    """The rows, each with a `may_see_<group>` boolean per field group of the model."""
    groups = _field_groups.get(queryset.model, ())
    return queryset.annotate(
        **{group.attribute: _may_see(group, actor, models.OuterRef("pk")) for group in groups}
    )


def may_see(obj: models.Model, group: str) -> bool:
    """Whether the reader the row was fetched for may see its `group` fields."""
    return getattr(obj, f"may_see_{group}", None) is True


def hidden_fields(obj: models.Model) -> frozenset[str]:
    """The attributes of `obj` its reader may not see."""
    hidden: set[str] = set()
    for group in _field_groups.get(type(obj), ()):
        if not may_see(obj, group.name):
            hidden |= group.fields
    return frozenset(hidden)


def audit_redactions(actor: Actor) -> dict[str, models.Expression]:
    """For an audit-event queryset: per field group, whether its reader may see the group's
    keys in the event's before/after (the event's object is (object_type, object_id))."""
    annotations = {}
    for model, groups in _field_groups.items():
        label = model._meta.label_lower
        for group in groups:
            target = Cast(models.OuterRef("object_id"), models.BigIntegerField())
            annotations[f"may_see_{label.replace('.', '_')}_{group.name}"] = models.Case(
                models.When(object_type=label, then=_may_see(group, actor, target)),
                default=models.Value(True),
                output_field=models.BooleanField(),
            )
    return annotations


def redact_event(event: models.Model) -> models.Model:
    """Remove from an event (annotated with `audit_redactions`) the keys its reader may not
    see, in place."""
    hidden: set[str] = set()
    for model, groups in _field_groups.items():
        if model._meta.label_lower != event.object_type:
            continue
        for group in groups:
            attribute = f"may_see_{model._meta.label_lower.replace('.', '_')}_{group.name}"
            if getattr(event, attribute, None) is not True:
                hidden |= group.fields
    if hidden:
        for side in ("before", "after"):
            value = getattr(event, side)
            if isinstance(value, dict):
                setattr(event, side, {k: v for k, v in value.items() if k not in hidden})
    return event
