"""Bank file export over 1,000,000 retirees, per text profile: bank_files_export against two baselines
measured in the same run.

Usage: .venv/bin/python bench/bank_file_export.py [--rounds 3] [--profiles psbc,ebank,ccb_csv,generic_csv]
                                                  [--explain] [--profile-export]

Works in its own database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_export`), built by
bench/payout_plan.py's `build` when it holds no retirees. Setup (not timed), committed and kept for the next
run: the month's plan drafted by the clerk, submitted, approved by a finance reviewer and funded with each
bank's exact net total (three banks, ~311,600 paid lines each), and the next month's draft with a copy of its
lines (an office's database holds a plan per month: the planner must choose its index among them). Then a
full VACUUM ANALYZE (autovacuum is off on this server).

Each round starts with VACUUM ANALYZE of the tables the rounds write (their rolled-back rows would otherwise
pile up) and prints the load average. Then for every text profile (all of them in profiles.py unless
--profiles says otherwise), each side in a transaction rolled back, the order of the three sides rotating
from round to round:
- export: every bank set to the profile, then `bank_files_export` as a clerk runs it (each bank's file
  rendered and stored by PostgreSQL with its SHA-256, count and total, the total checked against the bank's
  approved total; plan → exported);
- plain COPY: `COPY (SELECT <the columns the files carry> … ORDER BY bank_id, id) TO STDOUT WITH (FORMAT csv,
  ENCODING 'GBK')` read fully into memory through psycopg2's copy_expert (the reading every export must do);
- same work: that COPY, plus storing the very bytes the export wrote (held in memory from the setup export,
  not timed) into pensions_bankfile, one row per bank with PostgreSQL's SHA-256, count and total: the reading
  and the storing an export cannot avoid, with the formatting for free.
Prints each round, then per profile the medians, export ÷ plain COPY (aim ≤ 2.5) and export ÷ same work.
`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the first bank's statement for each profile;
`--profile-export` cProfiles one more export per profile and prints the top 15 by cumulative time.

DEBUG is off whatever the settings say (the development settings' DEBUG keeps every query in memory).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import statistics
import time
from collections.abc import Callable

from benchdb import set_up_django

os.environ.setdefault("DJANGO_DEBUG", "false")
set_up_django(database="retiree_mgmt_bench_export")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.payout_plan import MONTH, build  # noqa: E402
from pensions.bankfiles import SHIPPED_PROFILES  # noqa: E402
from pensions.bankfiles.sql_render import PLANNER_SETTINGS, render_statement  # noqa: E402
from pensions.models import BankFile, PayoutPlan  # noqa: E402
from pensions.services import (  # noqa: E402
    bank_files_export,
    funding_record,
    plan_approve,
    plan_draft,
    plan_submit,
)
from pensions.services.bank_files import (  # noqa: E402
    _context,
    _county_code,
    _line_source,
    bank_file_profile_for,
    bank_file_profile_set,
)
from pensions.services.funding import funding_banks  # noqa: E402
from pensions.services.payment_sources import PlanSource  # noqa: E402
from registry.models import Bank, OrgUnit, Retiree, Staff  # noqa: E402

settings.DEBUG = False

# The columns the files are made of (pensions.services.bank_files._PLAN_LINES): the reference, the bank, the
# holder name (else the name), ID number, account, net amount and township, in the export's order.
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
STORE_FILE = """
INSERT INTO pensions_bankfile (plan_id, bank_id, name, content_type, content, sha256, line_count, total,
                               profile_code, profile, created_by_id, created_at)
SELECT %(plan)s, %(bank)s, %(name)s, 'text/plain', c.content, encode(sha256(c.content), 'hex'), %(count)s,
       %(total)s, %(code)s, %(profile)s::jsonb, %(by)s, now()
  FROM (SELECT %(content)s::bytea AS content) AS c
"""
# What the rounds write and roll back: vacuumed between rounds.
TOUCHED = (
    "pensions_bankfile",
    "pensions_payoutplan",
    "pensions_plantransition",
    "pensions_bankfileprofilesetting",
    "pensions_payoutline",
)
TEXT_PROFILES = [code for code, profile in SHIPPED_PROFILES.items() if profile.layout != "xlsx"]


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def vacuum(tables: tuple[str, ...] = ()) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if tables:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def funded_plan() -> PayoutPlan:
    """The month's plan, funded: made (and committed) once, as the office would, then reused."""
    existing = PayoutPlan.objects.filter(month=MONTH.number).first()
    if existing is not None:
        if existing.status != PayoutPlan.Status.FUNDED:
            raise SystemExit(f"the plan for {MONTH} is {existing.status}, not funded: rebuild this database")
        print(f"plan {existing.pk} for {MONTH}: {existing.line_count:,} lines, funded (kept from a past run)")
        return existing
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
    started = time.perf_counter()
    with transaction.atomic():
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
        f"in {time.perf_counter() - started:.1f} s (not timed below; committed and kept)"
    )
    return plan


def another_month(plan: PayoutPlan) -> None:
    """A second month's lines in the table, as in an office's database (twelve plans a year): with the
    export's plan alone, the planner's choice of index is not the one it makes in production. The next
    month's draft, its lines copied from the funded plan's (made once, kept)."""
    following = MONTH.next()
    if PayoutPlan.objects.filter(month=following.number).exists():
        return
    started = time.perf_counter()
    with transaction.atomic():
        other = PayoutPlan.objects.create(
            month=following.number, generated_at=timezone.now(), created_by=plan.created_by
        )
        columns = (
            "retiree_id, name, id_number, bank_id, account_number, holder_name, township_id, community_id,"
            " is_withheld, regular, arrears, deduction, withheld, net, payment_status, bank_reason"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO pensions_payoutline (plan_id, {columns})"  # noqa: S608 - the bench's own names
                f" SELECT %s, {columns} FROM pensions_payoutline WHERE plan_id = %s ORDER BY id",
                [other.pk, plan.pk],
            )
    print(f"plan {other.pk} for {following}: a copy of its lines, in {time.perf_counter() - started:.1f} s")


def set_profile(code: str) -> None:
    for bank in Bank.objects.all():
        bank_file_profile_set(bank=bank, by=None, profile_code=code)


Stored = list[tuple[int, str, bytes, int, object]]  # bank, name, content, count, total


def export(plan: PayoutPlan, clerk: Staff, code: str) -> tuple[float, Stored]:
    with transaction.atomic():
        set_profile(code)
        started = time.perf_counter()
        files = bank_files_export(plan=plan, by=clerk)
        elapsed = time.perf_counter() - started
        stored = [
            (file.bank_id, file.name, bytes(file.content), file.line_count, file.total)
            for file in BankFile.objects.filter(pk__in=[file.pk for file in files]).order_by("bank_id")
        ]
        transaction.set_rollback(True)
    plan.refresh_from_db()
    assert plan.status == PayoutPlan.Status.FUNDED
    return elapsed, stored


def copy_lines(plan: PayoutPlan) -> tuple[int, int]:
    with connection.cursor() as cursor:
        target = io.BytesIO()
        cursor.cursor.copy_expert(COPY_LINES.format(plan=int(plan.pk)), target)
        data = target.getvalue()
    return data.count(b"\n"), len(data)


def plain(plan: PayoutPlan) -> tuple[float, int, int]:
    with transaction.atomic():
        started = time.perf_counter()
        rows, size = copy_lines(plan)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, rows, size


def same_work(plan: PayoutPlan, clerk: Staff, code: str, files: Stored) -> float:
    profile = json.dumps(SHIPPED_PROFILES[code].to_dict(), ensure_ascii=False)
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        copy_lines(plan)
        for bank_id, name, content, count, total in files:
            cursor.execute(
                STORE_FILE,
                {
                    "plan": plan.pk,
                    "bank": bank_id,
                    "name": name,
                    "content": content,
                    "count": count,
                    "total": total,
                    "code": code,
                    "profile": profile,
                    "by": clerk.pk,
                },
            )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def explain(plan: PayoutPlan, code: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the first bank's statement, as the export runs it."""
    from pensions.bankfiles.sql_render import StoredFile
    from pensions.bankfiles.writer import file_name

    with transaction.atomic(), connection.cursor() as cursor:
        set_profile(code)
        source = PlanSource(plan)
        bank = Bank.objects.order_by("code").first()
        assert bank is not None
        profile = bank_file_profile_for(bank=bank)
        context = _context(source, bank, _county_code())
        total = funding_banks(plan=plan)[bank.pk].net_total
        stored = StoredFile(
            plan_id=plan.pk,
            one_off_batch_id=None,
            bank_id=bank.pk,
            name=file_name(profile, context),
            profile_code=profile.code,
            profile_json=json.dumps(profile.to_dict()),
            created_by_id=plan.created_by_id or 0,
            created_at=timezone.now(),
            expected_total=total,
        )
        lines = _line_source(source, bank)
        sql, params = render_statement(profile, source=lines, context=context, stored=stored)
        for name, value in PLANNER_SETTINGS:
            cursor.execute(f"SET LOCAL {name} = {value}")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE OFF) " + sql, params)
        print(f"\n--- {code}, bank {bank.code}")
        for (text,) in cursor.fetchall():
            print(text)
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000, help="only when the database is empty")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profiles", default=",".join(TEXT_PROFILES), help="comma-separated profile codes")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each profile's statement")
    parser.add_argument("--profile-export", action="store_true", help="cProfile one more export per profile")
    args = parser.parse_args()
    codes = [code for code in args.profiles.split(",") if code]

    call_command("migrate", verbosity=0)
    if not Retiree.objects.exists():
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …")
        build(args.retirees)
    print(f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, month {MONTH}")
    print(f"DEBUG {settings.DEBUG}, load average {load()}")
    plan = funded_plan()
    another_month(plan)
    clerk = Staff.objects.get(username="bench_clerk")
    print(f"VACUUM ANALYZE in {vacuum():.0f} s")

    if args.explain:
        for code in codes:
            explain(plan, code)
        print()

    # The bytes the same-work baseline stores: one export per profile, not timed.
    files = {code: export(plan, clerk, code)[1] for code in codes}
    times: dict[str, dict[str, list[float]]] = {
        code: {"export": [], "copy": [], "same": []} for code in codes
    }
    rows = size = 0
    for round_number in range(1, args.rounds + 1):
        vacuumed = vacuum(TOUCHED)
        print(f"round {round_number} (VACUUM ANALYZE {vacuumed:.1f} s, load average {load()})")
        for code in codes:
            sides: list[tuple[str, Callable[[], float]]] = [
                ("export", lambda code=code: export(plan, clerk, code)[0]),
                ("copy", lambda: plain(plan)[0]),
                ("same", lambda code=code: same_work(plan, clerk, code, files[code])),
            ]
            # Rotate which goes first, so a cache warmed by one does not always favour another.
            shift = (round_number - 1) % len(sides)
            for side, run in sides[shift:] + sides[:shift]:
                times[code][side].append(run())
            export_time, copy_time, same_time = (times[code][side][-1] for side in ("export", "copy", "same"))
            print(
                f"  {code:<12} export {export_time:6.2f} s  COPY {copy_time:6.2f} s  "
                f"same work {same_time:6.2f} s  ÷COPY {export_time / copy_time:5.2f}  "
                f"÷same {export_time / same_time:5.2f}  (load {load()})"
            )
    _elapsed, rows, size = plain(plan)

    if args.profile_export:
        for code in codes:
            profiler = cProfile.Profile()
            with transaction.atomic():
                set_profile(code)
                profiler.enable()
                bank_files_export(plan=plan, by=clerk)
                profiler.disable()
                transaction.set_rollback(True)
            print(f"\n--- cProfile of the {code} export")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)

    print()
    print(f"{rows:,} lines; the plain COPY writes {size / 1e6:.0f} MB")
    print(
        f"{'profile':<12}{'MB':>6}{'export':>9}{'COPY':>8}{'same':>8}{'export/COPY':>13}{'export/same':>13}"
        f"{'rows/s':>11}   (medians of {args.rounds} rounds; aim export/COPY ≤ 2.5)"
    )
    # The ratios of each round (its three sides measured minutes apart at most) tell more on a machine whose
    # load changes during the run than the ratio of the medians: both are printed.
    for code in codes:
        export_median, copy_median, same_median = (
            statistics.median(times[code][side]) for side in ("export", "copy", "same")
        )
        megabytes = sum(len(content) for _bank, _name, content, _count, _total in files[code]) / 1e6
        print(
            f"{code:<12}{megabytes:>6.0f}{export_median:>8.2f}s{copy_median:>7.2f}s{same_median:>7.2f}s"
            f"{export_median / copy_median:>13.2f}{export_median / same_median:>13.2f}"
            f"{rows / export_median:>11,.0f}"
        )
        per_round = [
            (export_time / copy_time, export_time / same_time)
            for export_time, copy_time, same_time in zip(
                times[code]["export"], times[code]["copy"], times[code]["same"], strict=True
            )
        ]
        print(
            f"{'':<12}median of the rounds' ratios: export/COPY "
            f"{statistics.median(ratio for ratio, _same in per_round):.2f}, export/same "
            f"{statistics.median(same for _ratio, same in per_round):.2f}"
        )
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
