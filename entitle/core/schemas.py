"""API output schemas that ask the field policy: `PolicySchema`.

A schema of a model's rows derives from `PolicySchema` instead of ninja's `Schema`. When it
reads a row, every field whose source attribute (its alias's first part, or its name) belongs
to a field group the reader may not see (`entitle.core.policy.hidden_fields`) comes out as
null — its resolver is not even called. Such fields are declared optional (`… | None`), and the
row must come from a selector that applied `with_field_groups` (a row that was not annotated
shows none of its guarded fields).
"""

from typing import Any

from django.db import models
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import ModelWrapValidatorHandler, ValidationInfo, model_validator

from entitle.core.policy import hidden_fields


class _GuardedGetter(DjangoGetter):
    __slots__ = ("_hidden",)

    def __init__(self, obj: Any, schema_cls: type, context: Any, hidden: frozenset[str]):
        super().__init__(obj, schema_cls, context)
        self._hidden = hidden

    def __getattr__(self, key: str) -> Any:
        if key.split(".", 1)[0] in self._hidden:
            return None
        return super().__getattr__(key)


class PolicySchema(Schema):
    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        if isinstance(values, models.Model):
            values = _GuardedGetter(values, cls, info.context, hidden_fields(values))
        elif not isinstance(values, DjangoGetter | dict):
            values = DjangoGetter(values, cls, info.context)
        return handler(values)
