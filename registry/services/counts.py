"""The kept head counts (RetireeCount): triggers keep them; this remakes them from the registry."""

from __future__ import annotations

from django.db import connection, transaction

from ..models import Retiree, RetireeCount
from ..sql import with_names

# The lock keeps the triggers of concurrent writers from adding to rows this statement is about to replace.
_REBUILD = with_names(
    """
LOCK TABLE {retiree} IN SHARE MODE;
DELETE FROM {count};
INSERT INTO {count} ({count.community_id}, {count.status}, {count.retired_year}, {count.n})
SELECT {retiree.community}, {retiree.status}, extract(year FROM {retiree.retirement_date})::int, count(*)
  FROM {retiree} GROUP BY 1, 2, 3;
""",
    retiree=Retiree,
    count=RetireeCount,
)


@transaction.atomic
def retiree_counts_rebuild() -> int:
    """Remake the head counts from the registry (after a load with the triggers off, or to check them);
    returns the number of rows kept."""
    with connection.cursor() as cursor:
        cursor.execute(_REBUILD)
    return RetireeCount.objects.count()
