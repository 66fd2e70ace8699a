"""Statements compiled once per process, for the few that every credit-spending request runs.

The ORM builds and compiles its SQL on every call; on a short statement that costs several
times what the database spends on it (about 0.4 ms against 0.08 ms on the 2-core benchmark
machine), and a licence creation runs a dozen of them. `insert` and `Select` write their SQL
once from the models' metadata (table and column names, field conversions: nothing is spelled
twice) and then only bind new values. They do what `Model.objects.bulk_create` and
`select_related(...).filter(...)` do for these shapes, no more: no signals (the project has
none), no expressions. Every value is a query parameter.

On PostgreSQL they run on a cursor that binds parameters on the server (`cursor`): a
statement run again and again is prepared once per connection (`prepare_threshold` in the
settings) and no value is quoted into the SQL in Python. Django's own queries keep binding on
the client: Django 5.2 does not keep a query's parameters within the 65,535 that server-side
binding allows, and `insert` does (in chunks).

Use them only on the measured hot path (bench/consume.py); everywhere else the ORM is clearer.
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cache

import psycopg
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.utils import CursorWrapper

# PostgreSQL's limit on one statement's parameters with server-side binding (Django states the
# limit of the other databases it supports).
MAX_PARAMETERS = 65_535


@contextmanager
def cursor() -> Iterator[CursorWrapper]:
    """Django's cursor on its connection (its errors wrapped as Django's), binding on the server
    on PostgreSQL — unless queries are being logged (DEBUG, a test counting them): Django's log
    cannot show a statement bound on the server, so those keep Django's own cursor."""
    # The thread's connection, looked up once: each attribute read through
    # `django.db.connection` looks it up again, and this runs a dozen times a request.
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or db.queries_logged:
        with db.cursor() as wrapped:
            yield wrapped
        return
    if db.connection is None:
        db.ensure_connection()
    # One cursor per database connection, kept for its life: a request runs a dozen of these
    # statements, and making a cursor and Django's wrapper for each cost a twentieth of it.
    raw = db.connection
    kept = db.__dict__.get("_bound_cursor")
    if kept is None or kept.cursor.connection is not raw:
        kept = db.make_cursor(psycopg.Cursor(raw))
        db._bound_cursor = kept
    yield kept


# Values that Django prepares for PostgreSQL by returning them unchanged, by the column's type:
# an insert passes a value of exactly such a type straight to psycopg (the preparation cost a
# tenth of a licence creation). Anything else — None aside — goes through Django's preparation:
# a choices enum, a naive datetime, a number given as a string, JSON.
_AS_IS: dict[str, type] = {
    **dict.fromkeys(("CharField", "TextField", "SlugField", "EmailField", "URLField"), str),
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
        ),
        int,
    ),
    "BooleanField": bool,
    "DateField": date,
    "DateTimeField": datetime,
    "DecimalField": Decimal,
    "UUIDField": uuid.UUID,
}


def _preparer(field: models.Field, *, add: bool = True) -> Callable[[models.Model], object]:
    """How `field`'s value of an instance becomes the parameter written (`add`: inserted)."""

    def prepared(obj: models.Model) -> object:
        return field.get_db_prep_save(field.pre_save(obj, add=add), connection)

    if connection.vendor != "postgresql" or getattr(field, "auto_now_add", False):
        return prepared
    if getattr(field, "auto_now", False):
        return prepared
    as_is = _AS_IS.get((field.target_field if field.is_relation else field).get_internal_type())
    if as_is is None:
        return prepared
    attname = field.attname
    aware = as_is is datetime and settings.USE_TZ
    finite = as_is is Decimal

    def direct(obj: models.Model) -> object:
        value = getattr(obj, attname)
        if value is None:
            return value
        if type(value) is as_is:
            if (aware and value.tzinfo is None) or (finite and not value.is_finite()):
                return prepared(obj)  # Django's warning and time zone; its refusal
            return value
        return prepared(obj)

    return direct


@cache
def _insert_sql(
    model: type[models.Model], rows: int
) -> tuple[str, list[Callable[[models.Model], object]]]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not isinstance(f, models.AutoField)]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Names come from the model; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} RETURNING {quote(meta.pk.column)}"
    )
    return sql, [_preparer(f) for f in fields]


def insert(objs: list[models.Model]) -> None:
    """INSERT unsaved instances of one model (one statement for up to MAX_PARAMETERS values)
    and set their primary keys."""
    if not objs:
        return
    _, preparers = _insert_sql(type(objs[0]), 1)
    per_statement = (connection.features.max_query_params or MAX_PARAMETERS) // len(preparers)
    for start in range(0, len(objs), per_statement):
        _insert_chunk(objs[start : start + per_statement])


def _insert_chunk(objs: list[models.Model]) -> None:
    sql, preparers = _insert_sql(type(objs[0]), len(objs))
    params = [prepare(obj) for obj in objs for prepare in preparers]
    with cursor() as bound:
        bound.execute(sql, params)
        keys = bound.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


@cache
def _update_sql(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, list]:
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    # Names come from the model; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608
        f"{', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    return sql, [_preparer(f, add=False) for f in fields]


def update(obj: models.Model, fields: tuple[str, ...]) -> None:
    """What `obj.save(update_fields=fields)` writes, for a saved instance: one UPDATE of those
    columns by primary key (no signals: the project has none)."""
    sql, preparers = _update_sql(type(obj), fields)
    with cursor() as bound:
        bound.execute(sql, [*(prepare(obj) for prepare in preparers), obj.pk])


class Select:
    """SELECT of a model's rows with some of their foreign keys' rows joined in (`related`, as
    in `select_related`: "sku" or "sku__product"), under a WHERE clause written against the
    aliases `t` (the model) and `t__<path>` (each related row, e.g. `t__sku__product`)."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        where: str,
        related: tuple[str, ...] = (),
        order_by: str = "",
        lock: bool = False,
    ) -> None:
        self.model, self._where, self._order_by, self._lock = model, where, order_by, lock
        self._related = related
        self._sql: str | None = None
        self._with_condition: dict[str, str] = {}

    def _compile(self) -> None:
        """Once per process: the SQL, the row's layout and each column's conversion."""
        quote = connection.ops.quote_name
        parts = [("t", self.model, None)]
        joins = []
        for path in self._related:
            owner_alias, owner = "t", self.model
            for name in path.split("__"):
                field = owner._meta.get_field(name)
                alias, target = f"{owner_alias}__{name}", field.related_model
                if alias not in [part[0] for part in parts]:
                    joins.append(
                        f"{'LEFT JOIN' if field.null else 'JOIN'} {quote(target._meta.db_table)} "
                        f"{alias} ON {alias}.{quote(target._meta.pk.column)} = "
                        f"{owner_alias}.{quote(field.column)}"
                    )
                    parts.append((alias, target, (owner_alias, name)))
                owner_alias, owner = alias, target
        columns, self._layout, self._conversions = [], [], []
        for alias, model, parent in parts:
            fields = model._meta.concrete_fields
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            self._layout.append((alias, model, [f.attname for f in fields], parent))
            for f in fields:
                column = f.get_col(alias)
                found = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
                self._conversions.append((column, found))
        # Names come from the models, the clause from the code; every value is a parameter.
        self._head = (
            f"SELECT {', '.join(columns)} FROM {quote(self.model._meta.db_table)} t "  # noqa: S608
            f"{' '.join(joins)} WHERE {self._where}"
        )
        tail = ""
        if self._order_by:
            tail += f" ORDER BY {self._order_by}"
        if self._lock and connection.features.has_select_for_update:  # not SQLite
            tail += (
                " FOR UPDATE OF t"
                if connection.features.has_select_for_update_of
                else " FOR UPDATE"
            )
        self._tail = tail
        self._sql = self._head + tail

    def all(self, params: list, *, allowed: models.Q | None = None) -> list[models.Model]:
        """The rows; with `allowed` (an access policy's condition, `policy.condition(...)`),
        only those it allows."""
        if self._sql is None:
            self._compile()
        sql = self._sql
        if allowed is not None:
            condition, more = condition_sql(self.model, allowed)
            sql = self._with_condition.get(condition)
            if sql is None:
                if len(self._with_condition) >= 256:  # conditions of many shapes: keep a few
                    self._with_condition.clear()
                sql = self._with_condition[condition] = (
                    f"{self._head} AND ({condition}){self._tail}"
                )
            params = [*params, *more]
        with cursor() as bound:
            bound.execute(sql, params)
            return [self._build(row) for row in bound.fetchall()]

    def one(self, params: list, *, allowed: models.Q | None = None) -> models.Model | None:
        found = self.all(params, allowed=allowed)
        return found[0] if found else None

    def _build(self, row: tuple) -> models.Model:
        values = []
        for value, (column, found) in zip(row, self._conversions, strict=True):
            for convert in found:
                value = convert(value, column, connection)
            values.append(value)
        instances: dict[str, models.Model | None] = {}
        start = 0
        for alias, model, attnames, parent in self._layout:
            chunk = values[start : start + len(attnames)]
            start += len(attnames)
            pk = chunk[attnames.index(model._meta.pk.attname)]
            instances[alias] = (
                None if pk is None else model.from_db(connection.alias, attnames, chunk)
            )
            if parent is not None and instances[parent[0]] is not None:
                owner = instances[parent[0]]
                owner._meta.get_field(parent[1]).set_cached_value(owner, instances[alias])
        return instances["t"]


# --- A policy's condition as SQL (Select.all(allowed=...)). ---

_COMPARISONS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class _NotPlain(Exception):
    pass


def condition_sql(model: type[models.Model], allowed: models.Q) -> tuple[str, list]:
    """`allowed` as SQL on the alias `t` (the model's row) and its parameters: written out for
    a plain condition — the model's own columns compared (exact, in, isnull, gt, gte, lt,
    lte) under AND and OR, as the access rules write them — and otherwise the ORM's own
    SQL for the ids it allows (a join, a subquery: what a delegation's grant may add)."""
    try:
        return _plain(model, allowed)
    except _NotPlain:
        ids = model._base_manager.filter(allowed).values("pk")
        sql, params = ids.query.sql_with_params()
        return f"t.{connection.ops.quote_name(model._meta.pk.column)} IN ({sql})", list(params)


def _plain(model: type[models.Model], allowed: models.Q) -> tuple[str, list]:
    if allowed.negated:
        raise _NotPlain()  # NOT and NULL: the ORM knows how Django words it
    if not allowed.children:
        sql, params = "1 = 1", []
    else:
        parts, params = [], []
        for child in allowed.children:
            if isinstance(child, models.Q):
                part, more = _plain(model, child)
            elif isinstance(child, tuple) and len(child) == 2:
                part, more = _leaf(model, *child)
            else:
                raise _NotPlain()  # an expression (an Exists)
            parts.append(f"({part})")
            params += more
        sql = f" {allowed.connector} ".join(parts)
    return sql, params


def _leaf(model: type[models.Model], lookup: str, value: object) -> tuple[str, list]:
    name, _, operator = lookup.partition("__")
    operator = operator or "exact"
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        raise _NotPlain() from None
    if not field.concrete or field.many_to_many or field.one_to_many:
        raise _NotPlain()
    target = field.target_field if field.is_relation else field
    column = f"t.{connection.ops.quote_name(field.column)}"

    def prepared(one: object) -> object:
        if isinstance(one, models.Model):
            one = one.pk
        if one is None or hasattr(one, "resolve_expression"):  # an F, a subquery, a queryset
            raise _NotPlain()
        return target.get_db_prep_value(one, connection)

    if operator == "isnull" and isinstance(value, bool):
        return f"{column} IS {'' if value else 'NOT '}NULL", []
    if operator == "exact" and value is None:
        return f"{column} IS NULL", []
    if operator in _COMPARISONS:
        return f"{column} {_COMPARISONS[operator]} %s", [prepared(value)]
    if operator == "in" and isinstance(value, (list, tuple, set, frozenset)):
        values = [prepared(one) for one in value]
        if not values:
            return "1 = 0", []
        return f"{column} IN ({', '.join(['%s'] * len(values))})", values
    raise _NotPlain()
