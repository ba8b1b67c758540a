"""Hot-path row access without the ORM's per-call query building.

The voucher services run a few fixed queries thousands of times a second; composing each
one through the ORM costs more Python than the database spends answering it (about
2,000-3,000 function calls per query, ~1 ms). These helpers build the SQL text once per
model (from `_meta`, so it follows the schema) and turn rows back into ordinary model
instances with `Model.from_db`, as the ORM itself does. What they skip is only the ORM's
query compilation; there are no signals on these models to skip (checked: none exist).

Use them where a profile shows the need, and keep the SQL next to its one caller.
"""

import functools
import re

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from core import per_connection


@functools.cache
def _concrete(model: type[Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fields = model._meta.concrete_fields
    return tuple(f.column for f in fields), tuple(f.attname for f in fields)


def columns(model: type[Model], alias: str) -> str:
    """`alias."col1", alias."col2", …` for every concrete field, in model order."""
    return ", ".join(f'{alias}."{column}"' for column in _concrete(model)[0])


def width(model: type[Model]) -> int:
    return len(_concrete(model)[0])


def build(model: type[Model], row, offset: int = 0) -> Model:
    """The instance for `row[offset:offset + width(model)]` (as `columns` selected it),
    values converted from the database like the ORM does (booleans and dates on SQLite,
    JSON, UUIDs)."""
    db = _default()
    attnames = _concrete(model)[1]
    values = list(row[offset:offset + len(attnames)])
    for index, converters, expression in _converters(model, db):
        value = values[index]
        for converter in converters:
            value = converter(value, expression, db)
        values[index] = value
    return loaded(model, db.alias, attnames, values)


def build_all(models: tuple[type[Model], ...], row) -> list[Model]:
    """One instance per model, from a row that selected `columns` of each in turn."""
    instances, offset = [], 0
    for model in models:
        instances.append(build(model, row, offset))
        offset += width(model)
    return instances


def _default():
    """Django's default connection of this thread. `django.db.connection` is a proxy that
    looks it up again on every attribute access (~1.5 µs each, ~30 a claim action); the
    hot helpers look it up once per call."""
    return connections[DEFAULT_DB_ALIAS]


def loaded(model: type[Model], alias: str, attnames, values) -> Model:
    """`model.from_db(alias, attnames, values)` for a whole row (every concrete field, in
    order), made without running `Model.__init__`.

    With every field given, `__init__` + `from_db` only set each attribute and mark the
    instance as loaded from `alias`; done one attribute at a time through the descriptors
    that is 5.5 µs for a `Claim`, against 1.9 µs here (timeit), a dozen times per claim
    action. The result is the same object. A model with its own `__init__` or `from_db`, or one that
    something listens to (`pre_init`/`post_init`), is made the ORM's way.
    """
    if (_customised(model) or pre_init.has_listeners(model)
            or post_init.has_listeners(model)):
        return model.from_db(alias, attnames, values)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    instance.__dict__.update(zip(attnames, values, strict=True))
    return instance


@functools.cache
def _customised(model: type[Model]) -> bool:
    return (model.__init__ is not Model.__init__
            or model.from_db.__func__ is not Model.from_db.__func__)


def written(model: type[Model], **values) -> Model:
    """The instance of a row this transaction just wrote with `values` (every concrete
    field, by attname, or TypeError), as if read back: made like `loaded`."""
    attnames = _concrete(model)[1]
    if values.keys() != set(attnames):
        raise TypeError(f"{model.__name__}: give exactly its fields {sorted(attnames)}")
    return loaded(model, _default().alias, attnames, [values[name] for name in attnames])


def _converters(model: type[Model], db) -> list:
    """[(column index, converters, expression)] for the fields that need converting.

    Cached per connection (core.per_connection): a backend's converters are methods bound
    to its `ops`, which refer to the connection; a module-level cache kept the first
    connection that filled it alive for good."""
    cached = per_connection.cache(db)
    key = (_converters, model)
    found = cached.get(key)
    if found is None:
        found = []
        for index, field in enumerate(model._meta.concrete_fields):
            expression = field.get_col(model._meta.db_table)
            converters = [*db.ops.get_db_converters(expression),
                          *expression.get_db_converters(db)]
            if converters:
                found.append((index, converters, expression))
        cached[key] = found
    return found


def lock_clause(*aliases: str) -> str:
    """`FOR NO KEY UPDATE OF …` on PostgreSQL; nothing on SQLite (one writer at a time,
    taken by BEGIN IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return ""
    return " FOR NO KEY UPDATE OF " + ", ".join(aliases)


class Update:
    """`instance.save(update_fields=fields)` as one UPDATE by primary key, not yet run:
    run it alone (`run`), or hand it to a statement that runs it with its own work
    (audit.services.audit_record(writes=[…]): a state change and its audit event in one).

    `expressions`: fields set from SQL of the statement that runs the update instead of
    from the instance (a claim's `hold_journal` from the ledger write of the same statement:
    `ledger.services.DeferredWrite.id_column`); such an update runs only inside that
    statement.
    """

    def __init__(self, instance: Model, fields: list[str],
                 expressions: dict[str, str] | None = None):
        model = type(instance)
        expressions = expressions or {}
        self.model, self.pk = model, instance.pk
        self.sql = _update_sql(model, tuple(fields), tuple(sorted(expressions.items())))
        self.params = []
        for name in fields:
            if name in expressions:
                continue
            field = model._meta.get_field(name)
            self.params.append(field.get_db_prep_save(field.pre_save(instance, False),
                                                      connection))
        self.params.append(instance.pk)

    def run(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            self.check(cursor.rowcount)

    def check(self, rowcount: int) -> None:
        if rowcount != 1:
            raise self.model.DoesNotExist(f"{self.model.__name__} {self.pk} was not updated")


class Part:
    """Work of one module that runs inside a statement another module builds (PostgreSQL):
    one round trip for both. The ledger's deferred writes are parts; the audit append runs
    them (`audit_record(part=…)`), so a claim action's posting, state change and audit
    event are one statement.

    - `ctes`: its WITH items (`name AS (…), …`, no leading WITH), with `params` in order;
    - `columns`: the output columns the host statement returns for it, after its own;
    - `barrier`: a scalar SQL expression whose evaluation completes the part's writes and
      row locks; the host evaluates it before it takes its own row locks, so locks are
      taken in the order they would be as two statements (no new deadlock);
    - `errors()`: a context manager around the host statement's execution that turns the
      part's database errors into its own exceptions;
    - `finish(values)`: given its columns' values, the part's result (or its refusal);
    - `run()`: the part alone, as its own statement, when no host statement takes it.

    `pending` is False once the part has run (or for a part that ran when it was made,
    off PostgreSQL): a host then leaves it out.
    """

    pending = True
    ctes = columns = barrier = ""
    params: list = []

    def errors(self):
        raise NotImplementedError

    def finish(self, values: tuple) -> None:
        raise NotImplementedError

    def run(self) -> None:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[str, str, str]:
        """What the host's SQL text depends on (its cache key)."""
        return self.ctes, self.columns, self.barrier


def update(instance: Model, fields: list[str]) -> None:
    """`instance.save(update_fields=fields)` in one prepared-once UPDATE by primary key."""
    Update(instance, fields).run()


@functools.cache
def _update_sql(model: type[Model], fields: tuple[str, ...],
                expressions: tuple[tuple[str, str], ...] = ()) -> str:
    meta = model._meta
    given = dict(expressions)
    sets = ", ".join(f'"{meta.get_field(name).column}" = {given.get(name, "%s")}'
                     for name in fields)
    return f'UPDATE "{meta.db_table}" SET {sets} WHERE "{meta.pk.column}" = %s'  # noqa: S608


def insert(instance: Model) -> Model:
    """`instance.save()` for a new row: one INSERT … RETURNING the primary key."""
    model = type(instance)
    fields = _insert_fields(model)
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model), params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


@functools.cache
def _insert_fields(model: type[Model]):
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def _insert_sql(model: type[Model]) -> str:
    meta = model._meta
    names = ", ".join(f'"{f.column}"' for f in _insert_fields(model))
    marks = ", ".join(["%s"] * len(_insert_fields(model)))
    return (f'INSERT INTO "{meta.db_table}" ({names}) VALUES ({marks}) '  # noqa: S608
            f'RETURNING "{meta.pk.column}"')


_NEVER_AUTOMATICALLY = 2**31 - 1


_SPACE_AROUND = re.compile(r"\s*([(),=<>+])\s*")


def compact(sql: str) -> str:
    """`sql` without the whitespace it does not need: runs made one space, none around
    ( ) , = < > + (for SQL with no whitespace inside its string literals: ours).

    psycopg caches the conversion of a query's %s placeholders only for texts up to 4,096
    bytes (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH); a longer one is parsed again at
    every execution, ~0.2 ms of a claim approval's CPU when its statement was 4,732 bytes.
    """
    return _SPACE_AROUND.sub(r"\1", " ".join(sql.split()))


def fetchone_prepared(sql: str, params: list):
    """Run `sql` as a prepared, server-side-bound statement on Django's PostgreSQL
    connection; one row back. For the ledger's and the audit trail's one-statement writes.

    Django may switch psycopg's automatic preparing off for the connection; this switches
    it back on for cursors that ask explicitly (prepare=True), never automatically.
    `LEDGER_PREPARED_STATEMENTS = False` (set from DB_PREPARED_STATEMENTS) turns preparing
    off, behind a pooler that cannot keep prepared statements (PgBouncer in transaction
    mode). Errors come out as Django's database errors, as from Django's cursors.
    """
    import psycopg
    from django.conf import settings

    db = _default()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    prepare = bool(getattr(settings, "LEDGER_PREPARED_STATEMENTS", True))
    raw = db.connection
    if prepare and raw.prepare_threshold is None:
        raw.prepare_threshold = _NEVER_AUTOMATICALLY
    with db.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=prepare)
        return cursor.fetchone()
