"""Every source of the county audit log reads its page along an index in the log's order (time, id
descending), so a page costs `page_size + 1` rows per source however long the table (docs/page-speed.md)."""

from __future__ import annotations

import pytest
from django.db import connection

from registry.selectors.audit_log import AuditLogFilters, _filtered, audit_sources

pytestmark = pytest.mark.django_db


def _plan(source) -> str:
    queryset = _filtered(source, AuditLogFilters()).order_by(f"-{source.time_field}", "-pk")[:51]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The tables are empty here: forbid what the planner would pick for a few rows, so the plan shows
        # whether an index in the page's order exists at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


# Settings whose history is a few rows a year (benefit and adjustment parameters, the year's adjustment run):
# a sort of them costs nothing, and their queries annotate the previous version, which no index orders.
FEW_ROWS_A_YEAR = {"benefit_parameter", "adjustment_parameters", "adjustment_run"}


@pytest.mark.parametrize(
    "kind", [source.kind for source in audit_sources() if source.kind not in FEW_ROWS_A_YEAR]
)
def test_each_source_pages_along_an_index(kind):
    source = next(source for source in audit_sources() if source.kind == kind)
    plan = _plan(source)
    # Sorting every row of the source to keep 51 is what an index in the right order avoids.
    assert "Sort Key" not in plan, plan
