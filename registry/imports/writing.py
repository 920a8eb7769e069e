"""Staging the checked rows (the dry run) and moving them into the registry (the import), set-based.

The dry run COPYs every row of the file into `registry_importstagedrow` (ImportStagedRow): a good row in the
registry's types, with the retiree id reserved for it from the retiree sequence, or a rejected row with its
reasons. The import never reads the file again: it re-checks in SQL only what the registry may have changed
since (ID and certificate numbers registered meanwhile, a bank disabled, the confirmer's scope), then writes
retirees, rates, accounts and status changes with one `INSERT … SELECT` each from the staged rows. The caller
holds the transaction: a failure anywhere leaves nothing (docs/jobs.md).

The search keys are not written by the import's transaction: they are the largest write (about 9 rows per
person) and only serve search by name, so `write_search_keys` runs right after the commit, from the rows
still staged (registry.services.imports.import_batch_index_names); the staged rows are deleted then.

The audit triggers (pghistory) stay on: each retiree, account and rate written here gets its insert event
like any other, in the context the caller set (pghistory.context). Their cost is measured in
bench/import_retirees.py (docs/import.md quotes it).
"""

from __future__ import annotations

import datetime
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring

from django.db import connection
from django.utils.translation import gettext as _

from .. import access
from ..id_numbers import mask_resident_id
from ..models import PensionRate, Retiree, Staff
from ..search import search_keys_for
from .validation import CheckResult, GoodRow, RejectedRow

# Stored in the rows, so in the registry's own language rather than the viewer's.
RATE_NOTE = "从原系统导入"
SUSPENDED_REASON = "从原系统导入时为暂停发放状态"
# COPY's text format: backslash, tab and line ends must be escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
STAGED = "registry_importstagedrow"
_STAGED_COLUMNS = (
    "batch_id",
    "row_number",
    "cells",
    "reasons",
    "name",
    "id_number",
    "retiree_id",
    "id_number_original",
    "sex",
    "birth_date",
    "community_id",
    "residence",
    "remote_province",
    "remote_city",
    "remote_address",
    "employer_name",
    "work_start_date",
    "retirement_date",
    "contribution_months",
    "amount",
    "start_month",
    "bank_id",
    "account_number",
    "holder_name",
    "certificate_number",
    "phone",
    "address",
    "status",
)


def copy_text(value: str) -> str:
    # str.translate with a mapping walks every character in Python-level lookups (slow on Chinese text);
    # the four `in` tests run in C and are almost always false.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _date(value: datetime.date | None) -> str:
    return NULL if value is None else value.isoformat()


def _json(texts: Sequence[str]) -> str:
    """A JSON list of texts (a row's cells or reasons), as json.dumps(texts, ensure_ascii=False) writes it,
    at a third of its cost: 100,000 rows of a file each need one."""
    # JSON escapes tabs and line ends itself: only its backslashes need COPY's escape.
    return ("[" + ", ".join(map(encode_basestring, texts)) + "]").replace("\\", "\\\\")


def copy_lines(table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)  # noqa: S608


def reserve_retiree_ids(count: int) -> list[int]:
    with connection.cursor() as cursor:
        # The sequence is looked up on its own: inside the nextval() it was looked up again for every id,
        # five times the cost of the ids themselves.
        cursor.execute("SELECT pg_get_serial_sequence('registry_retiree', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


# --- the dry run: staging --------------------------------------------------------------------------------


def _good_line(batch: str, row: GoodRow, retiree_id: int, cells: str) -> str:
    return "\t".join(
        (
            batch,
            str(row.row_number),
            cells,
            NULL,
            copy_text(row.name),
            row.id_number,
            str(retiree_id),
            row.id_number_original,
            row.sex,
            row.birth_date.isoformat(),
            str(row.community_id),
            row.residence,
            copy_text(row.remote_province),
            copy_text(row.remote_city),
            copy_text(row.remote_address),
            copy_text(row.employer_name),
            _date(row.work_start_date),
            row.retirement_date.isoformat(),
            str(row.contribution_months),
            str(row.amount),
            str(row.start_month.number),
            str(row.bank_id),
            row.account_number,
            copy_text(row.holder_name),
            copy_text(row.certificate_number or ""),
            copy_text(row.phone),
            copy_text(row.address),
            row.status,
        )
    )


# The typed columns of a rejected row: empty text or NULL, in _STAGED_COLUMNS order after retiree_id.
_REJECTED_TAIL = "\t".join(
    (NULL, "", "", NULL, NULL, "", "", "", "", "", NULL, NULL, NULL, NULL, NULL, NULL, "", "", "", "", "", "")
)


def stage_rows(*, batch_id: int, result: CheckResult) -> int:
    """Replace the batch's staged rows with this check's: every good row with a reserved retiree id, every
    rejected row with its reasons. Must run inside the caller's transaction (with the batch's move to
    checked), so a stale check's rows never mix with a new one's. Returns the number of good rows."""
    if not connection.in_atomic_block:
        raise RuntimeError("stage_rows must run inside a transaction")
    delete_staged(batch_id=batch_id)
    ids = reserve_retiree_ids(len(result.good)) if result.good else []
    batch = str(batch_id)
    lines: list[str] = [
        _good_line(batch, row, retiree_id, _json(row.cells)) + "\n"
        for retiree_id, row in zip(ids, result.good, strict=True)
    ]
    lines.extend(
        f"{batch}\t{row.row_number}\t{_json(row.cells)}\t{_json(row.reasons)}\t{copy_text(row.name)}\t"
        f"{copy_text(row.id_number)}\t{_REJECTED_TAIL}\n"
        for row in result.rejected
    )
    copy_lines(STAGED, _STAGED_COLUMNS, lines)
    return len(ids)


def delete_staged(*, batch_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STAGED} WHERE batch_id = %s", [batch_id])  # noqa: S608


def has_staged(*, batch_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGED} WHERE batch_id = %s)", [batch_id])  # noqa: S608
        return bool(cursor.fetchone()[0])


def staged_rejected(*, batch_id: int, limit: int | None = None) -> list[RejectedRow]:
    """The batch's rejected rows in the file's order, with their cells as given and every reason."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row_number, cells, reasons, name, id_number FROM {STAGED}"  # noqa: S608
            " WHERE batch_id = %s AND reasons IS NOT NULL ORDER BY row_number LIMIT %s",
            [batch_id, limit],
        )
        return [
            # Django's connection hands jsonb over as text.
            RejectedRow(row_number, json.loads(cells), json.loads(reasons), name=name, id_number=id_number)
            for row_number, cells, reasons, name, id_number in cursor.fetchall()
        ]


# --- the import: re-check and move ----------------------------------------------------------------------


def recheck_staged(*, batch_id: int, by: Staff) -> dict[int, list[str]]:
    """What may have changed since the dry run, for the good staged rows, set-based: an ID or certificate
    number registered meanwhile (by hand, or by another batch), a bank disabled, a community now outside the
    confirmer's scope. Each such row gets the dry run's own message and is marked rejected. Returns the
    reasons per row number."""
    found: dict[int, list[str]] = defaultdict(list)
    good = "FROM registry_importstagedrow s {join} WHERE s.batch_id = %s AND s.reasons IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.row_number, r.name, r.id_number "
            + good.format(join="JOIN registry_retiree r ON r.id_number = s.id_number"),
            [batch_id],
        )
        registered: set[int] = set()
        for row, name, number in cursor.fetchall():
            registered.add(row)
            masked = mask_resident_id(number)
            found[row].append(_("身份证号码已登记:%(name)s(%(id)s)") % {"name": name, "id": masked})
        cursor.execute(
            "SELECT s.row_number, s.certificate_number, r.name, r.id_number "
            + good.format(join="JOIN registry_retiree r ON r.certificate_number = s.certificate_number")
            + " AND s.certificate_number <> ''",
            [batch_id],
        )
        for row, certificate, name, number in cursor.fetchall():
            if row not in registered:
                found[row].append(
                    _("待遇证号 %(certificate)s 已属于 %(name)s(%(id)s)")
                    % {"certificate": certificate, "name": name, "id": mask_resident_id(number)}
                )
        cursor.execute(
            "SELECT s.row_number, b.name "
            + good.format(join="JOIN registry_bank b ON b.id = s.bank_id AND NOT b.is_active"),
            [batch_id],
        )
        for row, bank in cursor.fetchall():
            found[row].append(_("发放银行“%(name)s”已停用") % {"name": bank})
        if not access.sees_whole_county(by):
            cursor.execute(
                "SELECT s.row_number, coalesce(t.name, ''), c.name "
                + good.format(
                    join="JOIN registry_orgunit c ON c.id = s.community_id"
                    " LEFT JOIN registry_orgunit t ON t.id = c.parent_id"
                )
                + " AND NOT s.community_id = ANY(%s)",
                [batch_id, access.visible_community_ids(by)],
            )
            for row, township, community in cursor.fetchall():
                found[row].append(
                    _("“%(township)s%(community)s”不在您的管辖范围内")
                    % {"township": township, "community": community}
                )
        if found:
            rows = sorted(found)
            cursor.execute(
                f"UPDATE {STAGED} AS s SET reasons = v.reasons::jsonb"  # noqa: S608
                " FROM unnest(%s::integer[], %s::text[]) AS v (row_number, reasons)"
                " WHERE s.batch_id = %s AND s.row_number = v.row_number",
                [rows, [json.dumps(found[row], ensure_ascii=False) for row in rows], batch_id],
            )
    return dict(found)


@dataclass
class WriteResult:
    imported: int
    employers_created: int


def move_staged(*, batch_id: int, by: Staff, now: datetime.datetime) -> WriteResult:
    """Write the batch's good staged rows into the registry, one INSERT … SELECT per table, all but the
    search keys (write_search_keys, after the commit). Must run inside the caller's transaction, after
    recheck_staged."""
    if not connection.in_atomic_block:
        raise RuntimeError("move_staged must run inside a transaction")
    good = "FROM registry_importstagedrow s WHERE s.batch_id = %s AND s.reasons IS NULL"
    stamp, actor, active = now, by.pk, Retiree.Status.ACTIVE
    with connection.cursor() as cursor:
        # Deferred foreign-key checks plus the audit triggers' subtransactions make each batch slower than the
        # last (docs/adr/0006); checking keys at the end of each statement keeps the cost linear.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "INSERT INTO registry_employer (name, credit_code, contact_person, contact_phone)"
            " SELECT DISTINCT s.employer_name, '', '', '' "
            + good
            + " AND s.employer_name <> '' ORDER BY 1 ON CONFLICT (name) DO NOTHING",
            [batch_id],
        )
        employers_created = cursor.rowcount
        cursor.execute(
            "INSERT INTO registry_retiree (id, id_number, id_number_original, name, sex, birth_date, phone,"
            " address, community_id, residence, remote_province, remote_city, remote_address, employer_id,"
            " work_start_date, retirement_date, contribution_months, certificate_number, photo,"
            " regular_payment_from, status, died_on, created_at, updated_at)"
            " SELECT s.retiree_id, s.id_number, s.id_number_original, s.name, s.sex, s.birth_date, s.phone,"
            " s.address, s.community_id, s.residence, s.remote_province, s.remote_city, s.remote_address,"
            " e.id,"
            " s.work_start_date, s.retirement_date, s.contribution_months,"
            " nullif(s.certificate_number, ''), '',"
            # regular_payment_from empty: payout plans pay people from the old system from their rate on.
            " NULL, s.status, NULL, %s, %s"
            " FROM registry_importstagedrow s LEFT JOIN registry_employer e"
            " ON s.employer_name <> '' AND e.name = s.employer_name"
            " WHERE s.batch_id = %s AND s.reasons IS NULL ORDER BY s.row_number",
            [stamp, stamp, batch_id],
        )
        imported = cursor.rowcount
        cursor.execute(
            "INSERT INTO registry_pensionrate"
            " (retiree_id, amount, effective_month, reason, note, created_by_id, created_at)"
            " SELECT s.retiree_id, s.amount, s.start_month, %s, %s, %s, %s "
            + good
            + " ORDER BY s.row_number",
            [PensionRate.Reason.INITIAL, RATE_NOTE, actor, stamp, batch_id],
        )
        # The old system does not say since when the account is used: the month the amount started.
        cursor.execute(
            "INSERT INTO registry_bankaccount (retiree_id, bank_id, account_number, holder_name, is_current,"
            " valid_from, valid_until, created_by_id, created_at)"
            " SELECT s.retiree_id, s.bank_id, s.account_number, s.holder_name, true,"
            " make_date(s.start_month / 100, s.start_month %% 100, 1), NULL, %s, %s "
            + good
            + " ORDER BY s.row_number",
            [actor, stamp, batch_id],
        )
        # Every status other than the default has a recorded change with a reason and a person
        # (docs/domain.md).
        cursor.execute(
            "INSERT INTO registry_statuschange (retiree_id, from_status, to_status, effective_date, reason,"
            " counterpart, actor_id, created_at)"
            " SELECT s.retiree_id, %s, s.status, %s, %s, '', %s, %s "
            + good
            + " AND s.status <> %s ORDER BY s.row_number",
            [active, now.date(), SUSPENDED_REASON, actor, stamp, batch_id, active],
        )
    return WriteResult(imported, employers_created)


def write_search_keys(*, batch_id: int) -> int:
    """The search keys of an imported batch's people: the same keys retiree_search_keys_rebuild writes.
    Names repeat a great deal, so the keys are computed once per distinct name, COPYed into a temporary
    table and joined to the staged rows in one INSERT. Only people still in the registry under the staged
    name get them: a rename since the import already wrote the new name's keys (retiree_search_keys_rebuild).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT name FROM registry_importstagedrow WHERE batch_id = %s AND reasons IS NULL",  # noqa: S608
            [batch_id],
        )
        names = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "CREATE TEMPORARY TABLE import_name_keys (name text, kind varchar(1), key text) ON COMMIT DROP"
        )
        copy_lines(
            "import_name_keys",
            ("name", "kind", "key"),
            (
                f"{copy_text(name)}\t{kind}\t{copy_text(key)}\n"
                for name in names
                for kind, key in search_keys_for(name)
            ),
        )
        cursor.execute(
            "INSERT INTO registry_retireesearchkey (retiree_id, kind, key)"
            " SELECT s.retiree_id, k.kind, k.key FROM registry_importstagedrow s"
            " JOIN registry_retiree r ON r.id = s.retiree_id AND r.name = s.name"
            " JOIN import_name_keys k ON k.name = s.name"
            " WHERE s.batch_id = %s AND s.reasons IS NULL",
            [batch_id],
        )
        written: int = cursor.rowcount
        cursor.execute("DROP TABLE import_name_keys")
        return written
