"""Bulk import of a 100,000-row xlsx: read (calamine), validate, write (COPY incl. search keys), end to end.

Usage: .venv/bin/python bench/import_retirees.py [--rows 100000] [--rounds 3] [--bad-share 0.005]

Runs in its own database (BENCH_DATABASE_URL, default retiree_mgmt_bench_import on the local server),
created and migrated on first use; it holds the demo county's units, banks and logins and is emptied of
retirees before each round. The file is generated from the demo county's generator (valid IDs, names,
townships, communities, banks) with a small share of bad rows, and cached under var/bench/.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchdb import ROOT, set_up_django

set_up_django(database="retiree_mgmt_bench_import")

import pghistory  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402

from registry.demo_county import BANKS, DEFAULT_SEED, generate_retirees, seed_demo_county  # noqa: E402
from registry.imports.columns import HEADERS  # noqa: E402
from registry.imports.reading import read_table  # noqa: E402
from registry.imports.validation import check_table  # noqa: E402
from registry.imports.writing import write_rows  # noqa: E402
from registry.models import ImportBatch, OrgUnit, Retiree, Staff  # noqa: E402
from registry.services import import_batch_check, import_batch_run  # noqa: E402

AS_OF = datetime.date(2026, 11, 20)
TRACKED = ("registry_retiree", "registry_bankaccount", "registry_pensionrate")


def prepare_database() -> Staff:
    call_command("migrate", verbosity=0)
    seed_demo_county(retirees=0, seed=DEFAULT_SEED, as_of=AS_OF)
    return Staff.objects.select_related("org_unit").get(username="clerk")


def empty_registry() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND ("
            " tablename IN ('registry_retiree', 'registry_importbatch', 'pghistory_context')"
            " OR tablename ~ '^registry_.*event$')"
        )
        tables = [row[0] for row in cursor.fetchall()]
        # Names from the catalogue, quoted; a plain string, since pghistory's cursor wrapper reads the SQL.
        quoted = ", ".join(f'"{name}"' for name in tables)
        cursor.execute(f"TRUNCATE {quoted} CASCADE")
        cursor.execute("VACUUM ANALYZE registry_retiree")


def make_file(rows: int, bad_share: float) -> Path:
    """The old system's export: every column as text, as the template asks, a few rows wrong."""
    path = ROOT / "var" / "bench" / f"import-{rows}-{DEFAULT_SEED}-{bad_share}.xlsx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    units = {unit.code: unit for unit in OrgUnit.objects.select_related("parent")}
    bank_names = {bank.code: bank.name for bank in BANKS}
    bad_every = int(1 / bad_share) if bad_share else 0
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("退休人员")

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "@"
        return cell

    sheet.append(list(HEADERS))
    for index, person in enumerate(generate_retirees(rows, seed=DEFAULT_SEED, as_of=AS_OF)):
        community = units[person.community_code]
        rate = person.rates[-1]
        id_number = person.id_number
        amount = f"{rate.amount}"
        if bad_every and index % bad_every == bad_every - 1:
            # A wrong check character, or an amount the old system printed with three decimals.
            if index % 2:
                id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
            else:
                amount = f"{rate.amount}5"
        values: list[Any] = [
            person.name,
            text(id_number),
            "男" if person.sex == "M" else "女",
            community.parent.name if community.parent else "",
            community.name,
            "异地" if person.residence == "remote" else "本地",
            person.remote_province,
            person.remote_city,
            person.remote_address,
            person.employer_name or "",
            person.work_start_date.isoformat(),
            person.retirement_date.isoformat(),
            str(person.contribution_months),
            amount,
            str(rate.effective_month),
            bank_names[person.bank_code],
            text(person.account_number),
            "",
            "",
            text(person.phone),
            person.address,
            "暂停" if person.status == "suspended" else "正常",
        ]
        sheet.append(values)
    workbook.save(path)
    print(
        f"generated {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return path


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def audit_trigger_names() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND t.tgname LIKE 'pgtrigger_insert_insert_%%'"
            " AND c.relname = ANY(%s)",
            [list(TRACKED)],
        )
        return cursor.fetchall()


def write_once(good: list, clerk: Staff, *, triggers: bool) -> float:
    """Write the good rows in one transaction. Without triggers it is a measurement only: the audit triggers
    are disabled inside the transaction, and the transaction is rolled back."""
    started = time.perf_counter()
    with transaction.atomic(), pghistory.context(source="bench"):
        if not triggers:
            with connection.cursor() as cursor:
                for table, name in audit_trigger_names():
                    cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
        write_rows(good, by=clerk, now=timezone.now())
        if not triggers:
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
            return elapsed
    return time.perf_counter() - started


def run_batch(path: Path, clerk: Staff, service: Callable[..., ImportBatch], status: str) -> ImportBatch:
    batch = ImportBatch(original_name=path.name, uploaded_by=clerk, status=status)
    if status == ImportBatch.Status.IMPORTING:
        batch.confirmed_by = clerk
    batch.file.save("bench.xlsx", ContentFile(path.read_bytes()), save=False)
    batch.save()
    return service(batch_id=batch.pk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bad-share", type=float, default=0.005)
    args = parser.parse_args()
    clerk = prepare_database()
    path = make_file(args.rows, args.bad_share)
    data = path.read_bytes()
    print(
        f"database {connection.settings_dict['NAME']}, file {path.name}, {args.rows} rows, "
        f"{args.rounds} rounds (median)"
    )

    figures: dict[str, list[float]] = {
        key: [] for key in ("read", "validate", "write", "write_bare", "e2e", "dry")
    }
    good_count = bad_count = 0
    for _round in range(args.rounds):
        empty_registry()
        seconds, table = timed(lambda: read_table(data, path.name))
        figures["read"].append(seconds)
        seconds, result = timed(lambda table=table: check_table(table, user=clerk, today=AS_OF))
        figures["validate"].append(seconds)
        good_count, bad_count = len(result.good), len(result.rejected)
        figures["write_bare"].append(write_once(result.good, clerk, triggers=False))
        figures["write"].append(write_once(result.good, clerk, triggers=True))

        # End to end as the clerk's confirmed batch runs it in the worker: read the stored file, check it
        # again against the registry, write the rejected-rows file, write the good rows in one transaction.
        empty_registry()
        seconds, batch = timed(lambda: run_batch(path, clerk, import_batch_run, ImportBatch.Status.IMPORTING))
        assert batch.status == ImportBatch.Status.IMPORTED, batch.error
        assert batch.imported_rows == good_count
        figures["e2e"].append(seconds)
        empty_registry()
        seconds, batch = timed(
            lambda: run_batch(path, clerk, import_batch_check, ImportBatch.Status.UPLOADED)
        )
        figures["dry"].append(seconds)

    median = {key: statistics.median(values) for key, values in figures.items()}
    parts = median["read"] + median["validate"] + median["write"]
    rows = args.rows
    print(f"rows: {rows} ({good_count} good, {bad_count} rejected); retirees now {Retiree.objects.count()}")
    print(
        f"{'read (calamine)':<38} {median['read']:6.2f} s  {rows / median['read']:9,.0f} rows/s  "
        f"{median['read'] / parts:5.1%}"
    )
    print(
        f"{'validate (incl. duplicate look-ups)':<38} {median['validate']:6.2f} s  "
        f"{rows / median['validate']:9,.0f} rows/s  {median['validate'] / parts:5.1%}"
    )
    print(
        f"{'write (COPY, 4 tables + audit events)':<38} {median['write']:6.2f} s  "
        f"{good_count / median['write']:9,.0f} rows/s  {median['write'] / parts:5.1%}"
    )
    print(
        f"{'  same write, audit triggers off*':<38} {median['write_bare']:6.2f} s  "
        f"{good_count / median['write_bare']:9,.0f} rows/s  "
        f"(audit triggers cost {median['write'] / median['write_bare'] - 1:+.0%})"
    )
    print(f"{'read + validate + write':<38} {parts:6.2f} s  {rows / parts:9,.0f} rows/s")
    print(f"{'END TO END import_batch_run':<38} {median['e2e']:6.2f} s  {rows / median['e2e']:9,.0f} rows/s")
    print(f"{'dry run import_batch_check':<38} {median['dry']:6.2f} s  {rows / median['dry']:9,.0f} rows/s")
    print(
        "* measurement only: disabled inside a transaction that is rolled back;"
        " the import never turns them off."
    )


if __name__ == "__main__":
    main()
