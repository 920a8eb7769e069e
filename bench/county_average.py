"""The county average monthly pension of a year (月人均基本养老金) over 12 months of a million retirees:
county_average_monthly_pension (twelve stored plan rows) against a scan of the twelve million lines.

Usage: .venv/bin/python bench/county_average.py [--retirees 1000000] [--rounds 7] [--rebuild]

Works in its own database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_average` on the local server; never
the test or demo database), built once and reused:
- the payout plan benchmark's county (bench/payout_plan.py `build`: 1M retirees, 94 % active, 3 % suspended,
  1–3 rates each, one account each), plus a finance reviewer to sign the plans;
- the twelve plans of 2025, set-based as bench/payout_plan.py's bare side does: per month one plan row and one
  INSERT … SELECT of its lines (pensions.services.plans LINES_CTES + INSERT_LINES: the rate in force, the
  account snapshot; the suspended retirees' lines withheld, about 3 %), then the plan's stored totals
  (line_count, regular_total, withheld_total, withheld_count, …) by one UPDATE from the sums of its lines, and
  the plan signed as approved (a placeholder lines hash: nothing here exports it). Audit triggers and key
  checks are off while building (session_replication_role = replica), as in bench/payout_plan.py;
- one more plan, 2026-01, left a draft: its lines must not count;
- then VACUUM ANALYZE (autovacuum is off on this server).

Then per round, alternating which goes first: county_average_monthly_pension(year=2025) as the claim
computation calls it, and a baseline that computes the same figure from the lines (sum of regular ÷ count of
the non-withheld lines of the year's approved plans, rounded half up to the fen). Asserts that both give the
same figure to the fen; prints the median of each, the ratio, the rows and the load average. Aim: the selector
under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from decimal import ROUND_HALF_UP, Decimal

# The county comes from bench/payout_plan.py's builder, pointed at this benchmark's own database: importing
# it sets Django up with BENCH_DATABASE_URL, so the variable is set first.
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/retiree_mgmt_bench_average")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from payout_plan import build  # noqa: E402

from pensions.models import PayoutLine, PayoutPlan  # noqa: E402
from pensions.selectors.averages import county_average_monthly_pension  # noqa: E402
from pensions.services import recovery_share  # noqa: E402
from pensions.services.plans import INSERT_LINES, LINES_CTES  # noqa: E402
from registry.models import Recovery, Retiree  # noqa: E402
from registry.months import PensionMonth  # noqa: E402

YEAR = 2025
DRAFT_MONTH = PensionMonth(YEAR + 1, 1)
_CENT = Decimal("0.01")

_REVIEWER = """
INSERT INTO registry_staff (password, is_superuser, username, first_name, last_name, email, is_staff,
                            is_active, date_joined, role, org_unit_id, phone)
SELECT '!', false, 'bench_reviewer', '', '审', '', false, true, now(), 'finance_reviewer',
       (SELECT id FROM registry_orgunit WHERE code = '999999'), ''
 WHERE NOT EXISTS (SELECT 1 FROM registry_staff WHERE username = 'bench_reviewer')
"""

# The totals plan_draft stores on the plan, from one scan of its lines.
_TOTALS = """
UPDATE pensions_payoutplan plan
   SET line_count = sums.line_count, regular_total = sums.regular, arrears_total = sums.arrears,
       deduction_total = sums.deduction, withheld_total = sums.withheld, net_total = sums.net,
       withheld_count = sums.withheld_count
  FROM (SELECT count(*) AS line_count, coalesce(sum(regular), 0) AS regular,
               coalesce(sum(arrears), 0) AS arrears, coalesce(sum(deduction), 0) AS deduction,
               coalesce(sum(withheld), 0) AS withheld, coalesce(sum(net), 0) AS net,
               count(*) FILTER (WHERE is_withheld) AS withheld_count
          FROM pensions_payoutline WHERE plan_id = %(plan)s) sums
 WHERE plan.id = %(plan)s
"""

_APPROVE = """
UPDATE pensions_payoutplan
   SET status = 'approved', submitted_by_id = %(clerk)s, submitted_at = now(),
       approved_by_id = %(reviewer)s, approved_at = now(), lines_hash = repeat('0', 64)
 WHERE id = %(plan)s
"""

# The baseline: the same figure from the lines themselves.
_SCAN = """
SELECT sum(line.regular), count(*)
  FROM pensions_payoutline line
  JOIN pensions_payoutplan plan ON plan.id = line.plan_id
 WHERE plan.month BETWEEN %(first)s AND %(last)s
   AND plan.status NOT IN ('draft', 'submitted')
   AND NOT line.is_withheld
"""


def build_plans() -> None:
    """The twelve approved plans of YEAR and one draft plan, one INSERT … SELECT of lines per month."""
    with connection.cursor() as cursor:
        cursor.execute(_REVIEWER)
        cursor.execute(
            "SELECT id FROM registry_staff WHERE username IN ('bench_clerk', 'bench_reviewer') "
            "ORDER BY username"
        )
        clerk, reviewer = (row[0] for row in cursor.fetchall())
    months = [PensionMonth(YEAR, number) for number in range(1, 13)] + [DRAFT_MONTH]
    started = time.perf_counter()
    for month in months:
        month_started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                "INSERT INTO pensions_payoutplan (month, status, line_count, regular_total, arrears_total, "
                "deduction_total, withheld_total, net_total, withheld_count, lines_hash, created_by_id, "
                "created_at, generated_at, rejection_reason) "
                "VALUES (%s, 'draft', 0, 0, 0, 0, 0, 0, 0, '', %s, now(), now(), '') RETURNING id",
                [month.number, clerk],
            )
            (plan,) = cursor.fetchone()
            cursor.execute(
                LINES_CTES + INSERT_LINES,
                {
                    "plan": plan,
                    "month": month.number,
                    "share": recovery_share(),
                    "active": Retiree.Status.ACTIVE,
                    "suspended": Retiree.Status.SUSPENDED,
                    "open": Recovery.Status.OPEN,
                    "pending": PayoutLine.PaymentStatus.PENDING,
                },
            )
            rows = cursor.rowcount
            cursor.execute(_TOTALS, {"plan": plan})
            if month != DRAFT_MONTH:
                cursor.execute(_APPROVE, {"plan": plan, "clerk": clerk, "reviewer": reviewer})
        print(f"  plan {month}: {rows:,} lines in {time.perf_counter() - month_started:.1f} s")
    print(f"built {len(months)} plans in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")


def built() -> bool:
    approved = PayoutPlan.objects.filter(
        month__gte=PensionMonth(YEAR, 1).number, month__lte=PensionMonth(YEAR, 12).number
    ).exclude(status__in=[PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED])
    return approved.count() == 12 and PayoutPlan.objects.filter(month=DRAFT_MONTH.number).exists()


def selector() -> tuple[float, Decimal | None]:
    started = time.perf_counter()
    average = county_average_monthly_pension(year=YEAR)
    return time.perf_counter() - started, average


def baseline() -> tuple[float, Decimal, int]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(_SCAN, {"first": PensionMonth(YEAR, 1).number, "last": PensionMonth(YEAR, 12).number})
        paid, person_months = cursor.fetchone()
    average = (Decimal(paid) / person_months).quantize(_CENT, rounding=ROUND_HALF_UP)
    return time.perf_counter() - started, average, person_months


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if args.rebuild or Retiree.objects.count() != args.retirees or not built():
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …")
        build(args.retirees)
        build_plans()
    lines = PayoutLine.objects.count()
    print(
        f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, "
        f"{PayoutPlan.objects.count()} plans, {lines:,} lines"
    )

    selector_times: list[float] = []
    baseline_times: list[float] = []
    person_months = 0
    for round_number in range(1, args.rounds + 1):
        # Alternate which goes first, so a cache warmed by one does not always favour the other.
        if round_number % 2:
            selector_time, average = selector()
            baseline_time, expected, person_months = baseline()
        else:
            baseline_time, expected, person_months = baseline()
            selector_time, average = selector()
        assert average == expected, (average, expected)
        selector_times.append(selector_time)
        baseline_times.append(baseline_time)
        print(
            f"round {round_number}: selector {selector_time * 1000:.2f} ms, "
            f"scan of the lines {baseline_time:.2f} s, average {average}"
        )

    selector_median, baseline_median = statistics.median(selector_times), statistics.median(baseline_times)
    print()
    print(f"average monthly pension {YEAR}: {average} (both ways, to the fen)")
    print(f"lines in the database: {lines:,}; paid person-months of {YEAR}: {person_months:,}")
    print(f"county_average_monthly_pension (12 plan rows): median {selector_median * 1000:.2f} ms")
    print(f"baseline scan of the lines:                   median {baseline_median:.2f} s")
    print(f"ratio scan / selector: {baseline_median / selector_median:,.0f}")
    print(f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
