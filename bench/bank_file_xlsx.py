"""xlsx bank files over 1,000,000 retirees: bank_files_export with every bank on the CCB xlsx profile against
the chosen writer (xlsxwriter, constant memory) alone writing the same cells.

Usage: BENCH_DATABASE_URL=postgres://…/mydb_bench .venv/bin/python bench/bank_file_xlsx.py [--rounds 3]
       [--retirees 1000000] [--profile-export]

Works in its own database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_xlsx`), built by
bench/payout_plan.py's `build` when it holds no retirees. Setup, committed and not timed (reused by the next
run): every bank gets the `ccb` profile (so all of the plan's lines go through the xlsx path), and the month's
plan is drafted, approved and funded by bench/bank_file_export.py's `funded_plan`. This database therefore
keeps a funded plan for the month: do not point bench/payout_plan.py at it.

Each round, VACUUM ANALYZE first (the server runs with autovacuum off), then in alternating order:
- export: `bank_files_export` as a clerk runs it (lines read, checked, every bank's xlsx written, stored with
  its SHA-256, the plan moved to exported after checking the lines' hash and totals), rolled back;
- writer alone: the same cells per bank (序号, 账号, 户名, 金额, 身份证号码, 备注, the column labels and the
  合计 row), read from the database before the clock starts, written by xlsxwriter with the formats made once
  and `write_string` / `write_number` per cell into memory.
Also, once per round, the parts of the export (not in the ratio): reading the lines into PaymentLine objects
(`payment_lines`) and rendering them (`render_bank_file`). Prints each round with the load average, the
medians of wall and CPU time (this process's: on a loaded machine the wall time is mostly the wait for a
core) and the ratios export / writer alone (aim ≤ 1.5).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time
from decimal import Decimal

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/retiree_mgmt_bench_xlsx")
# As in production: the development settings' DEBUG would also keep every query in memory.
os.environ.setdefault("DJANGO_DEBUG", "false")

from benchdb import set_up_django  # noqa: E402

set_up_django(database="retiree_mgmt_bench_xlsx")

import xlsxwriter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.db.models.functions import Length  # noqa: E402

from bench.bank_file_export import funded_plan  # noqa: E402
from bench.payout_plan import MONTH, build  # noqa: E402
from pensions.bankfiles.profiles import CCB  # noqa: E402
from pensions.bankfiles.xlsx import render_bank_file  # noqa: E402
from pensions.models import BankFile, PayoutPlan  # noqa: E402
from pensions.services import bank_files_export  # noqa: E402
from pensions.services.bank_files import (  # noqa: E402
    _context,
    _county_code,
    bank_file_profile_set,
    payment_lines,
)
from pensions.services.payment_sources import PlanSource  # noqa: E402
from registry.models import Bank, Retiree, Staff  # noqa: E402

# The cells of the CCB profile per bank, as the export writes them (holder name before name, as
# PlanSource.payment_lines does).
CELLS = """
SELECT line.bank_id, line.account_number, COALESCE(NULLIF(line.holder_name, ''), line.name), line.net,
       line.id_number, 'P' || line.plan_id || 'L' || line.id
  FROM pensions_payoutline line
 WHERE line.plan_id = %s AND NOT line.is_withheld AND line.net > 0
 ORDER BY line.bank_id, line.id
"""

Cells = list[tuple[str, str, Decimal, str, str]]


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def vacuum() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def the_plan() -> PayoutPlan:
    """The month's funded plan with every bank on the CCB xlsx profile: made once, committed."""
    for bank in Bank.objects.all():
        bank_file_profile_set(bank=bank, by=None, profile_code=CCB.code)
    plan = PayoutPlan.objects.filter(month=MONTH.number).first()
    if plan is None:
        plan = funded_plan(CCB.code)
        for bank in Bank.objects.all():  # funded_plan gives RCC the ebank profile
            bank_file_profile_set(bank=bank, by=None, profile_code=CCB.code)
    if plan.status != PayoutPlan.Status.FUNDED:
        raise SystemExit(f"the plan for {MONTH} in this database is {plan.status}, not funded")
    return plan


def cells_per_bank(plan: PayoutPlan) -> dict[int, Cells]:
    out: dict[int, Cells] = {}
    with connection.cursor() as cursor:
        cursor.execute(CELLS, [plan.pk])
        for bank_id, *cells in cursor.fetchall():
            out.setdefault(bank_id, []).append(tuple(cells))  # type: ignore[arg-type]
    return out


def writer_alone(per_bank: dict[int, Cells]) -> tuple[float, float, int]:
    """xlsxwriter writing the same cells, one workbook per bank, into memory."""
    labels = [spec.label for spec in CCB.fields]
    size = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for lines in per_bank.values():
        target = io.BytesIO()
        workbook = xlsxwriter.Workbook(
            target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        sheet = workbook.add_worksheet(CCB.sheet_name)
        text = workbook.add_format({"num_format": "@"})
        money = workbook.add_format({"num_format": "#,##0.00"})
        write_string, write_number = sheet.write_string, sheet.write_number
        for column, label in enumerate(labels):
            write_string(0, column, label)
        total = Decimal(0)
        row = 0
        for row, (account, name, amount, id_number, reference) in enumerate(lines, 1):
            write_number(row, 0, row)
            write_string(row, 1, account, text)
            write_string(row, 2, name)
            write_number(row, 3, amount, money)
            write_string(row, 4, id_number, text)
            write_string(row, 5, reference, text)
            total += amount
        write_string(row + 1, 0, "合计")
        write_number(row + 1, 1, len(lines))
        write_number(row + 1, 2, total, money)
        workbook.close()
        size += len(target.getvalue())
    return time.perf_counter() - started, time.process_time() - cpu_started, size


def export(plan: PayoutPlan, clerk: Staff) -> tuple[float, float, list[BankFile], int]:
    with transaction.atomic():
        started, cpu_started = time.perf_counter(), time.process_time()
        files = bank_files_export(plan=plan, by=clerk)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        # The service hands the files back without their bytes; their size is read before the rollback.
        stored = BankFile.objects.filter(pk__in=[f.pk for f in files]).aggregate(size=Sum(Length("content")))
        transaction.set_rollback(True)
    plan.refresh_from_db()
    assert plan.status == PayoutPlan.Status.FUNDED
    return elapsed, cpu, files, int(stored["size"])


def parts(plan: PayoutPlan) -> tuple[float, float]:
    """The export's reading of the lines and its rendering, timed apart (CPU seconds of this process; in a
    rolled-back transaction)."""
    with transaction.atomic():
        started = time.process_time()
        lines = payment_lines(plan=plan)
        read = time.process_time() - started
        county_code = _county_code()
        source = PlanSource(plan)
        started = time.process_time()
        for bank in Bank.objects.filter(pk__in=lines.keys()):
            render_bank_file(CCB, lines[bank.pk], context=_context(source, bank, county_code))
        render = time.process_time() - started
        transaction.set_rollback(True)
    return read, render


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000, help="only when the database is empty")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile-export", action="store_true", help="cProfile one more export")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if not Retiree.objects.exists():
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …")
        build(args.retirees)
    print(
        f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, month {MONTH}, "
        f"DEBUG={settings.DEBUG}"
    )
    plan = the_plan()
    clerk = Staff.objects.get(username="bench_clerk")
    per_bank = cells_per_bank(plan)
    rows = sum(len(lines) for lines in per_bank.values())
    print(f"plan {plan.pk}: {rows:,} lines in {len(per_bank)} banks, every bank on profile {CCB.code}")

    walls: dict[str, list[float]] = {"export": [], "alone": []}
    cpus: dict[str, list[float]] = {"export": [], "alone": []}
    reads: list[float] = []
    renders: list[float] = []
    files: list[BankFile] = []
    for round_number in range(1, args.rounds + 1):
        vacuum()
        if round_number % 2:
            export_wall, export_cpu, files, stored_size = export(plan, clerk)
            alone_wall, alone_cpu, size = writer_alone(per_bank)
        else:
            alone_wall, alone_cpu, size = writer_alone(per_bank)
            export_wall, export_cpu, files, stored_size = export(plan, clerk)
        assert sum(file.line_count for file in files) == rows
        walls["export"].append(export_wall)
        walls["alone"].append(alone_wall)
        cpus["export"].append(export_cpu)
        cpus["alone"].append(alone_cpu)
        read, render = parts(plan)
        reads.append(read)
        renders.append(render)
        print(
            f"round {round_number}: writer alone {alone_wall:.2f} s "
            f"(CPU {alone_cpu:.2f} s, {size / 1e6:.0f} MB), "
            f"bank_files_export {export_wall:.2f} s (CPU {export_cpu:.2f} s, "
            f"{stored_size / 1e6:.0f} MB), ratio {export_wall / alone_wall:.2f} "
            f"(CPU {export_cpu / alone_cpu:.2f}); parts (CPU): read lines {read:.2f} s, "
            f"render {render:.2f} s; "
            f"load {load()}"
        )

    if args.profile_export:
        profiler = cProfile.Profile()
        with transaction.atomic():
            profiler.enable()
            bank_files_export(plan=plan, by=clerk)
            profiler.disable()
            transaction.set_rollback(True)
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)

    print()
    for file in sorted(files, key=lambda item: item.bank.code):
        print(
            f"  {file.bank.code:<5} profile {file.profile_code:<8} {file.line_count:>9,} lines  {file.name}"
        )
    print()
    wall = {key: statistics.median(values) for key, values in walls.items()}
    cpu = {key: statistics.median(values) for key, values in cpus.items()}
    print(f"{'':<44}{'wall':>9}{'CPU':>9}{'rows/s CPU':>12}")
    for label, key in (
        ("xlsxwriter alone, the same cells", "alone"),
        ("bank_files_export (stored)", "export"),
    ):
        print(f"{label:<44}{wall[key]:>8.2f}s{cpu[key]:>8.2f}s{rows / cpu[key]:>12,.0f}")
    for label, values in (("  export part: read lines", reads), ("  export part: render", renders)):
        median = statistics.median(values)
        print(f"{label:<44}{'':>9}{median:>8.2f}s{rows / median:>12,.0f}")
    # The CPU time is this process's only: the database's share of the export (its query, the stored
    # files) shows in the wall time, which on a loaded machine is mostly the wait for a core.
    print(
        f"ratio export / writer alone, medians: wall {wall['export'] / wall['alone']:.2f}, "
        f"CPU {cpu['export'] / cpu['alone']:.2f} (aim ≤ 1.5); load average {load()}"
    )


if __name__ == "__main__":
    main()
