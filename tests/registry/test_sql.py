"""Names for hand-written SQL come from the models, so a rename fails when the SQL is built."""

import pytest
from django.core.exceptions import FieldDoesNotExist

from registry.models import Retiree, StatusChange
from registry.sql import column, table, with_names


def test_tables_and_columns_are_the_models_quoted():
    assert (table(Retiree), column(Retiree, "community"), column(StatusChange, "actor")) == (
        '"registry_retiree"',
        '"community_id"',
        '"actor_id"',
    )
    text = with_names(
        "SELECT r.{retiree.status} FROM {retiree} r WHERE r.{retiree.id} = %(id)s", retiree=Retiree
    )
    assert text == 'SELECT r."status" FROM "registry_retiree" r WHERE r."id" = %(id)s'


def test_a_field_the_model_does_not_have_fails_at_once():
    with pytest.raises(FieldDoesNotExist):
        with_names("SELECT r.{retiree.state} FROM {retiree} r", retiree=Retiree)


def test_a_relation_without_a_column_of_its_own_is_refused():
    with pytest.raises(TypeError, match="no column of its own"):
        column(Retiree, "status_changes")
