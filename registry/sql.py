"""Table and column names for hand-written SQL, taken from the models.

Set-based statements (plan generation, the suspension job, progress counts) name tables and columns in SQL
text. Formatting those names from `Model._meta` once, when the module is imported, makes a renamed model or
field fail at start-up (and in every test run) instead of in the August job in production.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def table(model: type[Model]) -> str:
    """The model's table, quoted: "registry_retiree"."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], field: str) -> str:
    """A field's column, quoted: column(Retiree, "community") is "community_id". Raises FieldDoesNotExist
    for a name the model does not have, and TypeError for a relation without a column of its own."""
    found = model._meta.get_field(field)
    if not isinstance(found, Field) or not found.column:
        raise TypeError(f"{model.__name__}.{field} has no column of its own")
    return connection.ops.quote_name(found.column)


class Names:
    """A model's names for SQL text built with str.format: "{retiree}" is its table and "{retiree.status}" a
    column, both quoted. A field the model does not have raises as the text is formatted, i.e. at import."""

    def __init__(self, model: type[Model]) -> None:
        self._model = model

    def __str__(self) -> str:
        return table(self._model)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __getattr__(self, field: str) -> str:
        if field.startswith("_"):
            raise AttributeError(field)
        return column(self._model, field)


def with_names(text: str, **models: type[Model]) -> str:
    """`text` with each model's names filled in: with_names("SELECT r.{retiree.status} FROM {retiree} r",
    retiree=Retiree). Only names reach the text this way; values stay parameters (%(name)s)."""
    return text.format(**{key: Names(model) for key, model in models.items()})


@contextmanager
def planner_settings(cursor: Any, settings: Sequence[tuple[str, str]]) -> Iterator[None]:
    """Run the block's statements under these server settings (`SET LOCAL`, inside the caller's
    transaction), then put the defaults back for the rest of the transaction. The names and values are the
    program's own constants, never user data."""
    for name, value in settings:
        cursor.execute(f"SET LOCAL {name} = {value}")
    try:
        yield
    finally:
        for name, _value in settings:
            cursor.execute(f"SET LOCAL {name} TO DEFAULT")
