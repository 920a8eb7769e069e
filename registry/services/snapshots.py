from __future__ import annotations

import datetime

from django.db import connection, transaction

from ..models import OrgUnit


@transaction.atomic
def registry_snapshot_take(*, on: datetime.date) -> int:
    """Count retirees per township and status for `on`. Running it again the same day replaces that day's
    counts, so a retried task never doubles them. Returns the number of rows written."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_registrysnapshot WHERE taken_on = %s", [on])
        cursor.execute(
            """
            INSERT INTO registry_registrysnapshot (taken_on, township_id, status, count)
            SELECT %s, community.parent_id, retiree.status, count(*)
              FROM registry_retiree retiree
              JOIN registry_orgunit community ON community.id = retiree.community_id
             WHERE community.kind = %s
              GROUP BY community.parent_id, retiree.status
            """,
            [on, OrgUnit.Kind.COMMUNITY],
        )
        return int(cursor.rowcount)
