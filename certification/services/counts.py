"""The kept certification counts (CertifiedCount): triggers keep them; this remakes them from the tables."""

from __future__ import annotations

from django.db import connection, transaction

from registry.models import Retiree
from registry.sql import with_names

from ..models import Certification, CertifiedCount

# The locks keep concurrent writers' triggers from adding to rows this statement is about to replace.
_REBUILD = with_names(
    """
LOCK TABLE {retiree}, {certification} IN SHARE MODE;
DELETE FROM {count};
INSERT INTO {count} ({count.year}, {count.community_id}, {count.status}, {count.retired_before_year},
                     {count.certified_on}, {count.n})
SELECT c.{certification.year}, r.{retiree.community}, r.{retiree.status},
       extract(year FROM r.{retiree.retirement_date})::int < c.{certification.year},
       c.{certification.certified_on}, count(*)
  FROM {certification} c JOIN {retiree} r ON r.{retiree.id} = c.{certification.retiree}
 GROUP BY 1, 2, 3, 4, 5;
""",
    retiree=Retiree,
    certification=Certification,
    count=CertifiedCount,
)


@transaction.atomic
def certified_counts_rebuild() -> int:
    """Remake the certification counts from the certifications and the registry (after a load with the
    triggers off, or to check them); returns the number of rows kept."""
    with connection.cursor() as cursor:
        cursor.execute(_REBUILD)
    return CertifiedCount.objects.count()
