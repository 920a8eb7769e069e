"""Writing checked rows with PostgreSQL COPY: retirees, their first rate, their current account, search keys.

Per-row saves would take minutes for 100,000 people; COPY takes seconds (docs/technical-notes.md). The
retirees' ids are taken from their sequence first, so the rows of the other tables can be written in the same
pass without reading the retirees back. The caller holds the transaction: a failure anywhere leaves nothing.

The audit triggers (pghistory) stay on: each retiree, account and rate written here gets its insert event
like any other, in the context the caller set (pghistory.context). Their cost is measured in
bench/import_retirees.py (docs/import.md quotes it).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from ..models import PensionRate, Retiree, Staff
from ..search import search_keys_for
from .validation import GoodRow

# Stored in the rows, so in the registry's own language rather than the viewer's.
RATE_NOTE = "从原系统导入"
SUSPENDED_REASON = "从原系统导入时为暂停发放状态"
# COPY's text format: backslash, tab and line ends must be escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _date(value: datetime.date | None) -> str:
    return NULL if value is None else value.isoformat()


@dataclass
class WriteResult:
    retiree_ids: list[int]
    employers_created: int
    search_keys: int


def _copy(table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)  # noqa: S608


def _employer_ids(names: set[str]) -> tuple[dict[str, int], int]:
    """Ids of the named employers, creating those the registry does not have yet."""
    if not names:
        return {}, 0
    wanted = sorted(names)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_employer (name, credit_code, contact_person, contact_phone)"
            " SELECT name, '', '', '' FROM unnest(%s::text[]) AS name ON CONFLICT (name) DO NOTHING",
            [wanted],
        )
        created = cursor.rowcount
        cursor.execute("SELECT name, id FROM registry_employer WHERE name = ANY(%s)", [wanted])
        return dict(cursor.fetchall()), created


def _reserve_retiree_ids(count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('registry_retiree', 'id')) FROM generate_series(1, %s)",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def write_rows(rows: Sequence[GoodRow], *, by: Staff, now: datetime.datetime) -> WriteResult:
    """Insert the rows; must run inside the caller's transaction (ADR 0006: keys checked per statement)."""
    if not connection.in_atomic_block:
        raise RuntimeError("write_rows must run inside a transaction")
    if not rows:
        return WriteResult([], 0, 0)
    with connection.cursor() as cursor:
        # Deferred foreign-key checks plus the audit triggers' subtransactions make each batch slower than the
        # last (docs/adr/0006); checking keys at the end of each statement keeps the cost linear.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    employers, employers_created = _employer_ids({row.employer_name for row in rows if row.employer_name})
    ids = _reserve_retiree_ids(len(rows))
    stamp = now.isoformat()
    actor = str(by.pk)

    _copy(
        "registry_retiree",
        (
            "id",
            "id_number",
            "id_number_original",
            "name",
            "sex",
            "birth_date",
            "phone",
            "address",
            "community_id",
            "residence",
            "remote_province",
            "remote_city",
            "remote_address",
            "employer_id",
            "work_start_date",
            "retirement_date",
            "contribution_months",
            "certificate_number",
            "photo",
            "regular_payment_from",
            "status",
            "died_on",
            "created_at",
            "updated_at",
        ),  # fmt: skip
        (
            "\t".join(
                (
                    str(retiree_id),
                    row.id_number,
                    row.id_number_original,
                    copy_text(row.name),
                    row.sex,
                    row.birth_date.isoformat(),
                    copy_text(row.phone),
                    copy_text(row.address),
                    str(row.community_id),
                    row.residence,
                    copy_text(row.remote_province),
                    copy_text(row.remote_city),
                    copy_text(row.remote_address),
                    str(employers[row.employer_name]) if row.employer_name else NULL,
                    _date(row.work_start_date),
                    row.retirement_date.isoformat(),
                    str(row.contribution_months),
                    copy_text(row.certificate_number) if row.certificate_number else NULL,
                    "",
                    # Empty: payout plans pay people brought over from the old system from their rate on.
                    NULL,
                    row.status,
                    NULL,
                    stamp,
                    stamp,
                )
            )
            + "\n"
            for retiree_id, row in zip(ids, rows, strict=True)
        ),
    )
    _copy(
        "registry_pensionrate",
        ("retiree_id", "amount", "effective_month", "reason", "note", "created_by_id", "created_at"),
        (
            f"{retiree_id}\t{row.amount}\t{row.start_month.number}\t{PensionRate.Reason.INITIAL}\t"
            f"{copy_text(RATE_NOTE)}\t{actor}\t{stamp}\n"
            for retiree_id, row in zip(ids, rows, strict=True)
        ),
    )
    _copy(
        "registry_bankaccount",
        (
            "retiree_id",
            "bank_id",
            "account_number",
            "holder_name",
            "is_current",
            "valid_from",
            "valid_until",
            "created_by_id",
            "created_at",
        ),  # fmt: skip
        (
            # The old system does not say since when the account is used: the month the amount started.
            f"{retiree_id}\t{row.bank_id}\t{row.account_number}\t{copy_text(row.holder_name)}\tt\t"
            f"{row.start_month.first_day.isoformat()}\t{NULL}\t{actor}\t{stamp}\n"
            for retiree_id, row in zip(ids, rows, strict=True)
        ),
    )
    suspended = [
        (retiree_id, row)
        for retiree_id, row in zip(ids, rows, strict=True)
        if row.status != Retiree.Status.ACTIVE
    ]
    if suspended:
        # Every status other than the default has a recorded change with a reason and a person
        # (docs/domain.md).
        reason = copy_text(SUSPENDED_REASON)
        today = now.date().isoformat()
        _copy(
            "registry_statuschange",
            (
                "retiree_id",
                "from_status",
                "to_status",
                "effective_date",
                "reason",
                "actor_id",
                "created_at",
                "counterpart",
            ),
            (
                f"{retiree_id}\t{Retiree.Status.ACTIVE}\t{row.status}\t{today}\t{reason}\t{actor}\t{stamp}\t\n"
                for retiree_id, row in suspended
            ),
        )
    search_keys = _write_search_keys(ids, rows)
    return WriteResult(ids, employers_created, search_keys)


def _write_search_keys(ids: Sequence[int], rows: Sequence[GoodRow]) -> int:
    """The same keys retiree_search_keys_rebuild writes, computed from the names in hand rather than read
    back; names repeat a great deal, so each name's keys are computed once."""
    keys_of: dict[str, list[tuple[str, str]]] = {}
    lines: list[str] = []
    for retiree_id, row in zip(ids, rows, strict=True):
        keys = keys_of.get(row.name)
        if keys is None:
            keys = keys_of[row.name] = [(kind, copy_text(key)) for kind, key in search_keys_for(row.name)]
        prefix = f"{retiree_id}\t"
        lines.extend(f"{prefix}{kind}\t{key}\n" for kind, key in keys)
    _copy("registry_retireesearchkey", ("retiree_id", "kind", "key"), lines)
    return len(lines)
