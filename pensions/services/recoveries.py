"""A recovery's balance is its amount less what plan lines deducted (pensions.RecoveryDeduction)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from registry.models import Recovery


def recoveries_sync_status(*, recovery_ids: Iterable[int]) -> int:
    """Mark these recoveries settled when their balance is 0, and open again when a regenerated draft gave
    back what it had deducted. Written-off recoveries are left alone. Returns how many changed."""
    ids = sorted(set(recovery_ids))
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE registry_recovery recovery
               SET status = balance.status
              FROM (
                    SELECT r.id,
                           CASE WHEN r.amount - coalesce(sum(d.amount), 0) <= 0 THEN %(settled)s
                                ELSE %(open)s END AS status
                      FROM registry_recovery r
                      LEFT JOIN pensions_recoverydeduction d ON d.recovery_id = r.id
                     WHERE r.id = ANY(%(ids)s)
                     GROUP BY r.id
                   ) balance
             WHERE recovery.id = balance.id
               AND recovery.status IN (%(open)s, %(settled)s)
               AND recovery.status <> balance.status
            """,
            {"ids": ids, "open": Recovery.Status.OPEN, "settled": Recovery.Status.SETTLED},
        )
        return int(cursor.rowcount)
