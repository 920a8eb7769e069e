"""Table and column names for hand-written SQL, taken from the models.

Set-based statements (plan generation, the suspension job, progress counts) name tables and columns in SQL
text. Formatting those names from `Model._meta` once, when the module is imported, makes a renamed model or
field fail at start-up (and in every test run) instead of in the August job in production.
"""

from __future__ import annotations

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
