"""Bank file export over 1,000,000 retirees: bank_files_export against a bare COPY … TO STDOUT of the same
rows.

Usage: .venv/bin/python bench/bank_file_export.py [--rounds 3] [--ccb-profile ccb] [--profile-export]

Works in the payout plan benchmark's database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_plan`), built
by bench/payout_plan.py's `build` when it holds no retirees. Everything below happens in one transaction that
is rolled back at the end, so the database stays as the plan benchmark expects it (no plan for the month):

- setup (not timed): the bench county's RCC bank gets the `ebank` profile (the demo county's rural bank, whose
  code there is RCB; unset, RCC would fall back to generic_xlsx) and CCB the `--ccb-profile` (default `ccb`,
  the demo county's xlsx); plan_draft for the month by the clerk, plan_submit by the clerk, plan_approve by a
  finance reviewer, funding_record of each bank's exact net total: the plan is funded;
- each round, in a savepoint rolled back so the plan stays funded, in alternating order:
  export: `bank_files_export` as a clerk runs it (every bank's file rendered from the lines, stored as bytes
  with its SHA-256, the plan moved to exported after checking the lines' hash and totals);
  bare: `COPY (SELECT <the columns the files carry> FROM pensions_payoutline … ORDER BY bank_id, id) TO STDOUT
  WITH (FORMAT csv, ENCODING 'GBK')` read fully into memory through psycopg2's copy_expert.
Prints each round, the medians, rows/s of both, the ratio (aim ≤ 2.5) and per bank the profile and lines.
`--profile-export` runs one more export under cProfile and prints the top 15 by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import pstats
import statistics
import time

from benchdb import set_up_django

set_up_django(database="retiree_mgmt_bench_plan")

# The plan benchmark owns the builder of this database and the month.
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.payout_plan import MONTH, build  # noqa: E402
from pensions.models import BankFile, PayoutPlan  # noqa: E402
from pensions.services import (  # noqa: E402
    bank_files_export,
    funding_record,
    plan_approve,
    plan_draft,
    plan_submit,
)
from pensions.services.bank_files import bank_file_profile_set  # noqa: E402
from pensions.services.funding import funding_banks  # noqa: E402
from registry.models import Bank, OrgUnit, Retiree, Staff  # noqa: E402

# The columns the files are made of (pensions.services.bank_files.payment_lines): the reference, the bank,
# the holder name (else the name), ID number, account, net amount and township, in the export's order.
COPY_LINES = """
COPY (
    SELECT 'P' || line.plan_id || 'L' || line.id AS reference, line.bank_id,
           COALESCE(NULLIF(line.holder_name, ''), line.name) AS name, line.id_number, line.account_number,
           line.net, township.name AS township
      FROM pensions_payoutline line
      LEFT JOIN registry_orgunit township ON township.id = line.township_id
     WHERE line.plan_id = {plan} AND NOT line.is_withheld AND line.net > 0
     ORDER BY line.bank_id, line.id
) TO STDOUT WITH (FORMAT csv, ENCODING 'GBK')
"""


def funded_plan(ccb_profile: str) -> PayoutPlan:
    """Draft, submit, approve (a second person) and fund the month's plan, as the office would."""
    county = OrgUnit.objects.get(kind=OrgUnit.Kind.COUNTY)
    clerk = Staff.objects.get(username="bench_clerk")
    reviewer, _created = Staff.objects.get_or_create(
        username="bench_reviewer",
        defaults={
            "password": "!",
            "last_name": "审",
            "role": Staff.Role.FINANCE_REVIEWER,
            "org_unit": county,
        },
    )
    bank_file_profile_set(bank=Bank.objects.get(code="RCC"), by=None, profile_code="ebank")
    bank_file_profile_set(bank=Bank.objects.get(code="CCB"), by=None, profile_code=ccb_profile)
    if PayoutPlan.objects.filter(month=MONTH.number).exists():
        raise SystemExit(f"a plan for {MONTH} already exists in this database: the benchmark needs none")
    started = time.perf_counter()
    plan = plan_draft(month=MONTH, by=clerk)
    plan_submit(plan=plan, by=clerk)
    plan_approve(plan=plan, by=reviewer)
    today = timezone.localdate()
    for bank_id, total in funding_banks(plan=plan).items():
        assert total.bank is not None
        funding_record(
            plan=plan,
            bank=total.bank,
            amount=total.net_total,
            reference_number=f"BENCH-{bank_id}",
            transferred_on=today - datetime.timedelta(days=1),
            by=reviewer,
        )
    plan.refresh_from_db()
    assert plan.status == PayoutPlan.Status.FUNDED, plan.status
    print(
        f"plan {plan.pk} for {MONTH}: {plan.line_count:,} lines, drafted, approved and funded "
        f"in {time.perf_counter() - started:.1f} s (not timed below)"
    )
    return plan


def export(plan: PayoutPlan, clerk: Staff) -> tuple[float, list[BankFile]]:
    with transaction.atomic():
        started = time.perf_counter()
        files = bank_files_export(plan=plan, by=clerk)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    plan.refresh_from_db()
    assert plan.status == PayoutPlan.Status.FUNDED
    return elapsed, files


def bare(plan: PayoutPlan) -> tuple[float, int, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        target = io.BytesIO()
        started = time.perf_counter()
        cursor.cursor.copy_expert(COPY_LINES.format(plan=int(plan.pk)), target)
        data = target.getvalue()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, data.count(b"\n"), len(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000, help="only when the database is empty")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ccb-profile", default="ccb", help="ccb (xlsx, the demo county's) or ccb_csv")
    parser.add_argument("--profile-export", action="store_true", help="cProfile one more export")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if not Retiree.objects.exists():
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …")
        build(args.retirees)
    print(f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, month {MONTH}")

    with transaction.atomic():
        plan = funded_plan(args.ccb_profile)
        clerk = Staff.objects.get(username="bench_clerk")
        export_times: list[float] = []
        bare_times: list[float] = []
        ratios: list[float] = []
        files: list[BankFile] = []
        rows = size = 0
        for round_number in range(1, args.rounds + 1):
            # Alternate which goes first, so a cache warmed by one does not always favour the other.
            if round_number % 2:
                export_time, files = export(plan, clerk)
                bare_time, rows, size = bare(plan)
            else:
                bare_time, rows, size = bare(plan)
                export_time, files = export(plan, clerk)
            lines = sum(file.line_count for file in files)
            assert lines == rows, (lines, rows)
            export_times.append(export_time)
            bare_times.append(bare_time)
            ratios.append(export_time / bare_time)
            print(
                f"round {round_number}: COPY {bare_time:.2f} s ({size / 1e6:.0f} MB), "
                f"bank_files_export {export_time:.2f} s ({sum(len(f.content) for f in files) / 1e6:.0f} MB), "
                f"ratio {ratios[-1]:.2f} ({rows:,} lines)"
            )

        if args.profile_export:
            profiler = cProfile.Profile()
            with transaction.atomic():
                profiler.enable()
                bank_files_export(plan=plan, by=clerk)
                profiler.disable()
                transaction.set_rollback(True)
            print()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
        transaction.set_rollback(True)  # leave no plan behind: bench/payout_plan.py drafts the same month

    export_median, bare_median = statistics.median(export_times), statistics.median(bare_times)
    print()
    for file in sorted(files, key=lambda item: item.bank.code):
        print(
            f"  {file.bank.code:<5} profile {file.profile_code:<8} {file.line_count:>9,} lines "
            f"{len(file.content) / 1e6:>6.1f} MB  {file.name}"
        )
    print()
    print(f"{'':<40}{'median':>10}{'rows/s':>12}")
    for label, median in (
        ("COPY … TO STDOUT (csv, GBK) into memory", bare_median),
        ("bank_files_export (all banks, stored)", export_median),
    ):
        print(f"{label:<40}{median:>9.2f}s{rows / median:>12,.0f}")
    print(
        f"ratio export / COPY: median of rounds {statistics.median(ratios):.2f}, "
        f"of medians {export_median / bare_median:.2f} (aim ≤ 2.5)"
    )


if __name__ == "__main__":
    main()
