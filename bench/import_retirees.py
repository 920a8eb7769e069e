"""Bulk import of a 100,000-row xlsx: the dry run (check + staging), the import from the staged rows, end to
end, against a bare pipeline doing the same writes without validation.

Usage: .venv/bin/python bench/import_retirees.py [--rows 100000] [--rounds 3] [--bad-share 0.005]
       [--key-options]

Runs in its own database (BENCH_DATABASE_URL, default retiree_mgmt_bench_import on the local server),
created and migrated on first use; it holds the demo county's units, banks and logins and is emptied of
retirees (and VACUUM ANALYZEd, the server runs without autovacuum) before each measured step. The file is
generated from the demo county's generator (valid IDs, names, townships, communities, banks) with a small
share of bad rows, and cached under var/bench/. DEBUG is off, as in production.

Per round, in this order: the bare pipeline (defined here: python-calamine → COPY of the same rows into the
same tables, with the same indexes and audit triggers, no validation; the people in one transaction, their
search keys in a second, as the import does), then the clerk's batch as the worker runs it: the dry run
(`import_batch_check`: read, check, rejected-rows file, staging), the import (`import_batch_run`: re-check in
SQL, INSERT … SELECT into the registry) and the keys written after its commit
(`import_batch_index_names`). Each statement of the import is timed (a connection execute wrapper) for the
breakdown. --key-options also times the search-key write (~880,000 rows) into the key table as it was
(surrogate id, foreign key, retiree index) and the options (docs/search.md), each in a rolled-back
transaction.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchdb import ROOT, set_up_django

set_up_django(database="retiree_mgmt_bench_import")

import pghistory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from registry.demo_county import BANKS, DEFAULT_SEED, generate_retirees, seed_demo_county  # noqa: E402
from registry.imports.columns import HEADERS  # noqa: E402
from registry.imports.writing import copy_lines, copy_text, reserve_retiree_ids  # noqa: E402
from registry.models import Bank, ImportBatch, OrgUnit, Retiree, Staff  # noqa: E402
from registry.search import search_keys_for  # noqa: E402
from registry.services import import_batch_check, import_batch_index_names, import_batch_run  # noqa: E402

AS_OF = datetime.date(2026, 11, 20)
TRACKED = ("registry_retiree", "registry_bankaccount", "registry_pensionrate")


def prepare_database() -> Staff:
    call_command("migrate", verbosity=0)
    seed_demo_county(retirees=0, seed=DEFAULT_SEED, as_of=AS_OF)
    return Staff.objects.select_related("org_unit").get(username="clerk")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


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
        # Neither has a foreign key that the CASCADE would follow.
        cursor.execute("TRUNCATE registry_importstagedrow, registry_retireesearchkey")
        cursor.execute("VACUUM ANALYZE")


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


# --- the bare pipeline: calamine → COPY, no validation ---------------------------------------------------


def bare_pipeline(data: bytes, clerk: Staff) -> tuple[float, float]:
    """The same rows into the same tables as the import, the least work that can do it: no validation, no
    staging, the ID's own birth date and sex, the file's dates and amounts as text. Like the import, the
    people in one transaction, then their search keys in a second. Returns the seconds of each."""
    started = time.perf_counter()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    rows = sheet.to_python()
    at = {header: position for position, header in enumerate(rows[0])}
    rows = rows[1:]
    communities = {
        (unit.parent.name, unit.name): unit.pk
        for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNITY).select_related("parent")
    }
    banks = dict(Bank.objects.values_list("name", "id"))
    stamp = timezone.now().isoformat()
    today = timezone.now().date().isoformat()
    actor = str(clerk.pk)
    with transaction.atomic(), pghistory.context(source="bench"), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        employers = sorted({row[at["原单位"]] for row in rows if row[at["原单位"]]})
        cursor.execute(
            "INSERT INTO registry_employer (name, credit_code, contact_person, contact_phone)"
            " SELECT name, '', '', '' FROM unnest(%s::text[]) AS name ON CONFLICT (name) DO NOTHING",
            [employers],
        )
        cursor.execute("SELECT name, id FROM registry_employer WHERE name = ANY(%s)", [employers])
        employer_ids = {name: str(pk) for name, pk in cursor.fetchall()}
        ids = reserve_retiree_ids(len(rows))
        people, rates, accounts, changes = [], [], [], []
        names: list[tuple[str, str]] = []
        for retiree_id, row in zip(ids, rows, strict=True):
            number = row[at["身份证号码"]]
            name = row[at["姓名"]]
            status = "suspended" if row[at["状态"]] == "暂停" else "active"
            remote = row[at["居住类型"]] == "异地"
            month = row[at["起始月份"]]
            pk = str(retiree_id)
            people.append(
                "\t".join(
                    (
                        pk,
                        number,
                        "",
                        name,
                        "M" if int(number[16]) % 2 else "F",
                        f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                        row[at["联系电话"]],
                        copy_text(row[at["住址"]]),
                        str(communities[(row[at["乡镇(街道)"]], row[at["社区(村居)"]])]),
                        "remote" if remote else "local",
                        row[at["异地居住省份"]] if remote else "",
                        row[at["异地居住城市"]] if remote else "",
                        copy_text(row[at["异地居住地址"]]) if remote else "",
                        employer_ids.get(row[at["原单位"]], "\\N"),
                        row[at["参加工作时间"]] or "\\N",
                        row[at["退休时间"]],
                        row[at["缴费月数"]] or "0",
                        "\\N",
                        "",
                        "\\N",
                        status,
                        "\\N",
                        stamp,
                        stamp,
                    )
                )
                + "\n"
            )
            rates.append(
                f"{pk}\t{row[at['月养老金']]}\t{month.replace('-', '')}\tinitial\t从原系统导入\t"
                f"{actor}\t{stamp}\n"
            )
            accounts.append(
                f"{pk}\t{banks[row[at['发放银行']]]}\t{row[at['银行账号']]}\t{name}\tt\t{month}-01\t\\N\t"
                f"{actor}\t{stamp}\n"
            )
            if status != "active":
                changes.append(
                    f"{pk}\tactive\t{status}\t{today}\t从原系统导入时为暂停发放状态\t\t{actor}\t{stamp}\n"
                )
            names.append((pk, name))
        copy_lines(
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
            people,
        )
        copy_lines(
            "registry_pensionrate",
            ("retiree_id", "amount", "effective_month", "reason", "note", "created_by_id", "created_at"),
            rates,
        )
        copy_lines(
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
            accounts,
        )
        copy_lines(
            "registry_statuschange",
            (
                "retiree_id",
                "from_status",
                "to_status",
                "effective_date",
                "reason",
                "counterpart",
                "actor_id",
                "created_at",
            ),  # fmt: skip
            changes,
        )
    people_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        keys: list[str] = []
        keys_of: dict[str, list[str]] = {}
        for pk, name in names:
            lines = keys_of.get(name)
            if lines is None:
                lines = keys_of[name] = [
                    f"\t{kind}\t{copy_text(key)}\n" for kind, key in search_keys_for(name)
                ]
            keys.extend(pk + line for line in lines)
        copy_lines("registry_retireesearchkey", ("retiree_id", "kind", "key"), keys)
    return people_seconds, time.perf_counter() - started


# --- the clerk's batch, as the worker runs it ---------------------------------------------------------------

_STATEMENT = re.compile(
    r"^\s*(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|COPY \w+|SELECT [\w.]+"
    r"|CREATE TEMPORARY TABLE|SET \w+|DROP)"
)


@contextmanager
def statement_times() -> Iterator[dict[str, float]]:
    """Seconds per kind of statement (its first words) while the block runs."""
    seconds: dict[str, float] = defaultdict(float)

    def wrapper(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            match = _STATEMENT.match(sql or "")
            seconds[match.group(1) if match else (sql or "")[:30]] += time.perf_counter() - started

    with connection.execute_wrapper(wrapper):
        yield seconds


def run_batch(
    data: bytes, name: str, clerk: Staff
) -> tuple[float, float, float, dict[str, float], ImportBatch]:
    batch = ImportBatch(original_name=name, uploaded_by=clerk)
    batch.file.save("bench.xlsx", ContentFile(data), save=False)
    batch.save()
    check_seconds, checked = timed(lambda: import_batch_check(batch_id=batch.pk))
    assert checked.status == ImportBatch.Status.CHECKED, checked.error
    # What import_batch_confirm does besides queueing the task.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.IMPORTING, confirmed_by=clerk)
    with statement_times() as seconds:
        run_seconds, imported = timed(lambda: import_batch_run(batch_id=batch.pk))
    assert imported.status == ImportBatch.Status.IMPORTED, imported.error
    # The job's second step, right after the import's commit: the search keys.
    names_seconds, _keys = timed(lambda: import_batch_index_names(batch_id=batch.pk))
    return check_seconds, run_seconds, names_seconds, dict(seconds), imported


# --- the search-key table's options ---------------------------------------------------------------------

KEY_OPTIONS = {
    "as it was: id, foreign key, retiree index, unique (kind, key, retiree)": (
        "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, retiree_id bigint NOT NULL"
        " REFERENCES registry_retiree (id) DEFERRABLE INITIALLY DEFERRED, kind varchar(1) NOT NULL,"
        ' key varchar(64) COLLATE "C" NOT NULL, UNIQUE (kind, key, retiree_id)',
        "CREATE INDEX ON bench_keys (retiree_id)",
    ),
    "no foreign key: id, retiree index, unique": (
        "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, retiree_id bigint NOT NULL,"
        ' kind varchar(1) NOT NULL, key varchar(64) COLLATE "C" NOT NULL, UNIQUE (kind, key, retiree_id)',
        "CREATE INDEX ON bench_keys (retiree_id)",
    ),
    "no id, foreign key: pk (retiree, kind, key), unique": (
        "retiree_id bigint NOT NULL REFERENCES registry_retiree (id) DEFERRABLE INITIALLY DEFERRED,"
        ' kind varchar(1) NOT NULL, key varchar(64) COLLATE "C" NOT NULL,'
        " PRIMARY KEY (retiree_id, kind, key), UNIQUE (kind, key, retiree_id)",
        "",
    ),
    "chosen, no id, no foreign key: pk (retiree, kind, key), unique": (
        'retiree_id bigint NOT NULL, kind varchar(1) NOT NULL, key varchar(64) COLLATE "C" NOT NULL,'
        " PRIMARY KEY (retiree_id, kind, key), UNIQUE (kind, key, retiree_id)",
        "",
    ),
}


def key_options(rounds: int) -> None:
    """The registry's imported keys written again into a scratch table of each design, rolled back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_retireesearchkey")
        count = cursor.fetchone()[0]
    figures: dict[str, list[float]] = defaultdict(list)
    for _round in range(rounds):
        for label, (columns, index) in KEY_OPTIONS.items():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"CREATE TABLE bench_keys ({columns})")
                if index:
                    cursor.execute(index)
                started = time.perf_counter()
                cursor.execute(
                    "INSERT INTO bench_keys (retiree_id, kind, key)"
                    " SELECT retiree_id, kind, key FROM registry_retireesearchkey ORDER BY retiree_id"
                )
                figures[label].append(time.perf_counter() - started)
                transaction.set_rollback(True)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE registry_retiree")
    print(f"search-key write options, {count:,} key rows, median of {rounds} ({load()}):")
    for label, values in figures.items():
        print(f"  {label:<66} {statistics.median(values):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bad-share", type=float, default=0.005)
    parser.add_argument("--key-options", action="store_true")
    args = parser.parse_args()
    settings.DEBUG = False
    clerk = prepare_database()
    path = make_file(args.rows, args.bad_share)
    data = path.read_bytes()
    print(
        f"database {connection.settings_dict['NAME']}, file {path.name}, {args.rows} rows, "
        f"{args.rounds} rounds (median), DEBUG={settings.DEBUG}, {load()}"
    )

    figures: dict[str, list[float]] = defaultdict(list)
    steps: dict[str, list[float]] = defaultdict(list)
    imported = None
    for number in range(1, args.rounds + 1):
        empty_registry()
        bare, bare_keys = bare_pipeline(data, clerk)
        figures["bare"].append(bare)
        figures["bare_keys"].append(bare_keys)
        figures["bare_all"].append(bare + bare_keys)
        empty_registry()
        check, run, names, statements, imported = run_batch(data, path.name, clerk)
        figures["check"].append(check)
        figures["run"].append(run)
        figures["names"].append(names)
        figures["e2e"].append(check + run)
        figures["e2e_all"].append(check + run + names)
        for statement, spent in statements.items():
            steps[statement].append(spent)
        print(
            f"round {number}: bare {bare:.2f} s + keys {bare_keys:.2f} s, check {check:.2f} s, import "
            f"{run:.2f} s, names {names:.2f} s (check + import {check + run:.2f} s), {load()}"
        )
    assert imported is not None
    median = {key: statistics.median(values) for key, values in figures.items()}
    rows = args.rows
    rate = {key: rows / value for key, value in median.items()}
    print(
        f"rows: {rows} ({imported.good_rows} good, {imported.bad_rows} rejected); retirees now "
        f"{Retiree.objects.count()}; {load()}"
    )
    for key, label in (
        ("bare", "bare pipeline (calamine → COPY), people"),
        ("bare_keys", "bare pipeline, then the search keys"),
        ("bare_all", "bare pipeline, people and keys"),
        ("check", "dry run import_batch_check (read, check, stage)"),
        ("run", "IMPORT import_batch_run (staged → registry)"),
        ("names", "then import_batch_index_names (search keys)"),
        ("e2e", "check + import (file → registry, found by ID)"),
        ("e2e_all", "check + import + keys (found by name too)"),
    ):
        print(f"{label:<48} {median[key]:6.2f} s  {rate[key]:9,.0f} rows/s")
    print(
        f"ratios to bare (rows/s ÷ bare rows/s): import {rate['run'] / rate['bare']:.2f}, "
        f"check + import {rate['e2e'] / rate['bare']:.2f}, "
        f"check + import + keys ÷ bare with keys {rate['e2e_all'] / rate['bare_all']:.2f}  "
        "(aims: ≥ 20,000 rows/s, ≥ 0.6)"
    )
    print("the import's statements (median s):")
    for statement, values in sorted(steps.items(), key=lambda item: -statistics.median(item[1])):
        if statistics.median(values) >= 0.005:
            print(f"  {statement:<44} {statistics.median(values):6.2f}")
    if args.key_options:
        key_options(args.rounds)


if __name__ == "__main__":
    main()
