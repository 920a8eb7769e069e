"""The county-wide lock of plan generation, shared by everything that changes recovery balances."""

from __future__ import annotations

from django.db import connection

# pg_advisory_xact_lock key for plan generation ("PLAN" in ASCII).
_GENERATION_LOCK = 0x504C414E


def plan_generation_lock() -> None:
    """Wait for, then hold until the end of the transaction, the lock plan generation takes. Generation reads
    the open recoveries' balances and records deductions against them in one statement; a refund or a
    write-off that holds this lock cannot change a balance between that read and those deductions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GENERATION_LOCK])
