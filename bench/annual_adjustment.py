"""The annual adjustment (调待) over 1,000,000 retirees: the dry run and the apply, each against a bare
INSERT … SELECT of the same rows into the same table, in the same run.

Usage: .venv/bin/python bench/annual_adjustment.py [--retirees 1000000] [--rounds 3] [--rebuild]

Works in its own database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_adjustment` on the local server),
created, migrated and filled once by set-based SQL and kept for the next run (--rebuild makes it again):
the demo county's 12 townships and 73 communities (城关镇 about 47 %), its three banks; retirees born
1936–1966 with 0–480 contribution months (0.5 % none), 3 % suspended from April (withheld lines), 1 % dead
in 2026 (paid to June: reported late), 2 % retired in December 2025 (first rate January 2026), 0.3 % retired
after the cut-off; a rate from 2018-04 each, a second one from 2025-01 for two in three, a later (July)
rate for 0.1 %; one current account each; two flags on 1.4 %; the plans of January–June 2026 approved with
one line per person and month (~6M); the 2026 parameters of tests/pensions/adjustment_flow.published_values.
Then VACUUM ANALYZE (autovacuum is off on this server).

Each round (VACUUM ANALYZE of the touched tables before it), alternating which side goes first:
- dry run: a run row made queued, then adjustment_dry_run(run_id=…) as the worker runs it (count, the people
  query, rise_of per person, lines by COPY, figures), committed; against a bare INSERT INTO
  pensions_adjustmentline … SELECT of the same people from the same query with the rise worked out in SQL
  (the published values hard-coded: a rough equivalent of the calculation), rolled back;
- apply: the run approved (rows written directly) and set applying, then adjustment_apply(run_id=…) in a
  transaction rolled back; against a bare INSERT … SELECT of the same rates and arrears items (from the
  run's lines) into registry_pensionrate and registry_arrearsitem, with their keys, indexes and audit
  triggers, also rolled back. Both sides check keys per statement (SET CONSTRAINTS ALL IMMEDIATE), since a
  rolled-back transaction never reaches the deferred checks at commit.
Then the run and its lines are deleted. Prints each round, medians, rows/s, ratios and the load average.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time
from typing import Any

from benchdb import set_up_django

set_up_django(database="retiree_mgmt_bench_adjustment")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from pensions.models import AdjustmentLine, AdjustmentParameters, AdjustmentRun  # noqa: E402
from pensions.selectors.adjustments import COVERED_MONTHS, RUN_PEOPLE, covered_months_params  # noqa: E402
from pensions.services.adjustments import (  # noqa: E402
    adjustment_apply,
    adjustment_dry_run,
    parameters_checked,
)
from registry.demo_county import TOWNSHIPS  # noqa: E402
from registry.models import ChangeRequest, PensionRate, Retiree, Staff  # noqa: E402
from registry.months import PensionMonth  # noqa: E402
from registry.selectors.changes import AMOUNT_FIELDS  # noqa: E402
from tests.pensions.adjustment_flow import published_values  # noqa: E402

YEAR = 2026
JAN = PensionMonth(YEAR, 1)
JUN = PensionMonth(YEAR, 6)
# 城关镇 (the county seat) holds about 47 % of the people, the other eleven townships share the rest.
SEAT_SHARE = 0.47
BUCKETS = 10_000
# (code, name, channel, share of the people in twentieths)
BANKS = (
    ("PSBC", "中国邮政储蓄银行", "system_direct", 9),
    ("RCB", "示范县农村商业银行", "ebank_direct", 6),
    ("CCB", "中国建设银行", "agency", 5),
)
# Tables the rounds write (and roll back): vacuumed before each round.
TOUCHED = (
    "registry_pensionrate",
    "registry_arrearsitem",
    "pensions_adjustmentline",
    "pensions_adjustmentrun",
    # their audit events (pghistory)
    "registry_pensionrateevent",
    "registry_arrearsitemevent",
    "pensions_adjustmentrunevent",
)


def _community_buckets(cursor: Any) -> list[tuple[int, int]]:
    """(bucket, community id) for BUCKETS buckets: the seat's communities share SEAT_SHARE of them, each other
    township an equal part of the rest, spread evenly over its communities."""
    cursor.execute(
        """SELECT t.sort_order, c.id FROM registry_orgunit c JOIN registry_orgunit t ON t.id = c.parent_id
            WHERE c.kind = 'community' ORDER BY t.sort_order, c.sort_order"""
    )
    by_township: dict[int, list[int]] = {}
    for township, community in cursor.fetchall():
        by_township.setdefault(township, []).append(community)
    townships = sorted(by_township)
    others = (1 - SEAT_SHARE) / (len(townships) - 1)
    communities: list[int] = []
    for township in townships:
        count = round((SEAT_SHARE if township == townships[0] else others) * BUCKETS)
        members = by_township[township]
        communities.extend(members[i % len(members)] for i in range(count))
    communities = (communities + communities[-1:] * BUCKETS)[:BUCKETS]
    return list(enumerate(communities))


BUILD = [
    "TRUNCATE registry_retiree, registry_retireesearchkey, registry_orgunit, registry_bank, registry_staff, "
    "registry_flagkind CASCADE",
    """INSERT INTO registry_orgunit (code, name, kind, parent_id, sort_order)
       VALUES ('360721', '示范县社会保险事业管理局', 'county', NULL, 0)""",
    # townships and communities: inserted from Python's TOWNSHIPS below
    """INSERT INTO registry_staff (password, is_superuser, username, first_name, last_name, email, is_staff,
                                  is_active, date_joined, role, org_unit_id, phone)
       SELECT '!', false, login, '', name, '', false, true, now(), role,
              (SELECT id FROM registry_orgunit WHERE code = '360721'), ''
         FROM (VALUES ('bench_clerk', '经办', 'bureau_clerk'), ('bench_reviewer', '复核', 'finance_reviewer'),
                      ('bench_admin', '管理', 'bureau_admin')) s(login, name, role)""",
    """INSERT INTO registry_flagkind (code, name, is_active, sort_order)
       VALUES ('senior_title', '高级职称', true, 1), ('model_worker', '省部级劳动模范', true, 2)""",
    """INSERT INTO registry_retiree (id_number, id_number_original, name, sex, birth_date, phone, address,
                                    community_id, residence, remote_province, remote_city, remote_address,
                                    employer_id, work_start_date, retirement_date, contribution_months,
                                    certificate_number, photo, regular_payment_from, status, died_on,
                                    created_at, updated_at)
       SELECT '36' || lpad(n::text, 16, '0'), '', '退休' || n, CASE WHEN n % 2 = 0 THEN 'F' ELSE 'M' END,
              date '1936-01-01' + ((n * 48271) % 11323)::int, '', '', bucket.community_id,
              'local', '', '', '', NULL, NULL,
              CASE WHEN n % 50 = 1 THEN date '2025-12-20' WHEN n % 300 = 2 THEN date '2026-02-15'
                   ELSE date '2018-03-31' - (n % 2900)::int END,
              CASE WHEN n % 200 = 0 THEN 0 ELSE 1 + (n * 37) % 480 END,
              NULL, '', NULL,
              CASE WHEN n % 100 BETWEEN 3 AND 5 THEN 'suspended' WHEN n % 100 = 6 THEN 'deceased'
                   ELSE 'active' END,
              CASE WHEN n % 100 = 6 THEN date '2026-01-10' + (n % 150)::int END,
              now(), now()
         FROM generate_series(1::bigint, %(retirees)s) n
         JOIN bench_buckets bucket ON bucket.k = (n * 7) % 10000""",
    """INSERT INTO registry_bankaccount (retiree_id, bank_id, account_number, holder_name, is_current,
                                        valid_from, valid_until, created_by_id, created_at)
       SELECT r.id, bank.id, '6221' || lpad(r.id::text, 15, '0'), r.name, true, date '2018-04-01', NULL, NULL,
              now()
         FROM registry_retiree r
         JOIN registry_bank bank
           ON bank.code = CASE WHEN r.id % 20 < 9 THEN 'PSBC' WHEN r.id % 20 < 15 THEN 'RCB'
                               ELSE 'CCB' END""",
    """INSERT INTO registry_pensionrate (retiree_id, amount, effective_month, revision, reason, note,
                                        created_by_id, created_at)
       SELECT r.id, 1800 + (r.id * 13) % 2500 + (r.id % 100) / 100.0,
              CASE WHEN r.retirement_date >= date '2026-01-01' THEN 202603
                   WHEN r.retirement_date >= date '2025-12-01' THEN 202601 ELSE 201804 END,
              0, 'initial', '', NULL::bigint, now()
         FROM registry_retiree r
       UNION ALL
       SELECT r.id, 1900 + (r.id * 13) % 2500 + (r.id % 100) / 100.0, 202501, 0, 'annual_adjustment', '',
              NULL, now()
         FROM registry_retiree r WHERE r.id % 3 <> 0 AND r.retirement_date < date '2025-01-01'
       UNION ALL
       SELECT r.id, 2000 + (r.id * 13) % 2500, 202607, 0, 'correction', '', NULL, now()
         FROM registry_retiree r WHERE r.id % 1000 = 17""",
    """INSERT INTO registry_retireeflag (retiree_id, kind_id, note, added_by_id, added_at, removed_by_id,
                                        removed_at)
       SELECT r.id, k.id, '', (SELECT id FROM registry_staff WHERE username = 'bench_clerk'), now(),
              NULL, NULL
         FROM registry_retiree r
         JOIN registry_flagkind k ON (k.code = 'senior_title' AND r.id % 100 = 20)
                                  OR (k.code = 'model_worker' AND r.id % 250 = 9)""",
    """INSERT INTO pensions_payoutplan (month, status, line_count, regular_total, arrears_total,
                                       deduction_total, withheld_total, net_total, withheld_count, lines_hash,
                                       created_by_id, created_at, generated_at, submitted_by_id, submitted_at,
                                       approved_by_id, approved_at, rejection_reason)
       SELECT m, 'approved', 0, 0, 0, 0, 0, 0, 0, repeat('0', 64),
              (SELECT id FROM registry_staff WHERE username = 'bench_clerk'), now(), now(),
              (SELECT id FROM registry_staff WHERE username = 'bench_clerk'), now(),
              (SELECT id FROM registry_staff WHERE username = 'bench_reviewer'), now(), ''
         FROM generate_series(202601, 202606) m""",
]

# One month's lines: everyone with a rate in force (the suspended withheld from April), the dead paid to June
# (their deaths reported in July), all paid.
PLAN_LINES = """
INSERT INTO pensions_payoutline (plan_id, retiree_id, name, id_number, bank_id, account_number,
                                 holder_name, township_id, community_id, is_withheld, regular, arrears,
                                 deduction, withheld, net, payment_status, bank_reason)
SELECT plan.id, p.id, p.name, p.id_number, account.bank_id, account.account_number, account.holder_name,
       community.parent_id, community.id, withheld, rate.amount, 0, 0,
       CASE WHEN withheld THEN rate.amount ELSE 0 END, CASE WHEN withheld THEN 0 ELSE rate.amount END,
       CASE WHEN withheld THEN 'pending' ELSE 'paid' END, ''
  FROM (SELECT DISTINCT ON (r.retiree_id) r.retiree_id, r.amount FROM registry_pensionrate r
         WHERE r.effective_month <= %(month)s
         ORDER BY r.retiree_id, r.effective_month DESC, r.revision DESC) rate
  JOIN registry_retiree p ON p.id = rate.retiree_id
  JOIN registry_orgunit community ON community.id = p.community_id
  JOIN registry_bankaccount account ON account.retiree_id = p.id AND account.is_current
  JOIN pensions_payoutplan plan ON plan.month = %(month)s
  CROSS JOIN LATERAL (SELECT p.status = 'suspended' AND %(month)s >= 202604 AS withheld) w
"""

PLAN_TOTALS = """
UPDATE pensions_payoutplan plan
   SET line_count = t.lines, regular_total = t.regular, withheld_total = t.withheld, net_total = t.net,
       withheld_count = t.withheld_count
  FROM (SELECT plan_id, count(*) AS lines, sum(regular) AS regular, sum(withheld) AS withheld,
               sum(net) AS net, count(*) FILTER (WHERE is_withheld) AS withheld_count
          FROM pensions_payoutline GROUP BY plan_id) t
 WHERE t.plan_id = plan.id
"""


def build(retirees: int) -> None:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Building only: no audit triggers, no key checks (the rows are consistent by construction).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for statement in BUILD[:2]:
            cursor.execute(statement)
        for t_index, (township, communities) in enumerate(TOWNSHIPS):
            code = f"360721{100 + t_index}"
            cursor.execute(
                """INSERT INTO registry_orgunit (code, name, kind, parent_id, sort_order)
                   VALUES (%s, %s, 'township', (SELECT id FROM registry_orgunit WHERE code = '360721'), %s)
                   RETURNING id""",
                [code, township, t_index],
            )
            township_id = cursor.fetchone()[0]
            for c_index, community in enumerate(communities):
                cursor.execute(
                    """INSERT INTO registry_orgunit (code, name, kind, parent_id, sort_order)
                       VALUES (%s, %s, 'community', %s, %s)""",
                    [f"{code}{c_index + 1:03d}", community, township_id, c_index],
                )
        for code, name, channel, _share in BANKS:
            cursor.execute(
                "INSERT INTO registry_bank (code, name, channel, is_active) VALUES (%s, %s, %s, true)",
                [code, name, channel],
            )
        cursor.execute("CREATE TEMPORARY TABLE bench_buckets (k integer PRIMARY KEY, community_id bigint)")
        cursor.executemany(
            "INSERT INTO bench_buckets (k, community_id) VALUES (%s, %s)", _community_buckets(cursor)
        )
        for statement in BUILD[2:]:
            step = time.perf_counter()
            cursor.execute(
                statement.replace("%", "%%").replace("%%(retirees)s", "%(retirees)s"), {"retirees": retirees}
            )
            print(
                f"  {statement.split('(')[0].strip()[:50]}: {cursor.rowcount:,} rows, "
                f"{time.perf_counter() - step:.0f} s",
                flush=True,
            )
        month = JAN
        while month <= JUN:
            step = time.perf_counter()
            cursor.execute(PLAN_LINES, {"month": month.number})
            print(f"  lines of {month}: {cursor.rowcount:,}, {time.perf_counter() - step:.0f} s", flush=True)
            month = month.next()
        cursor.execute(PLAN_TOTALS)
        cursor.execute("DROP TABLE bench_buckets")
    admin = Staff.objects.get(username="bench_admin")
    checked = parameters_checked(year=YEAR, values=published_values())
    AdjustmentParameters.objects.create(
        year=YEAR, note="bench", set_by=admin, set_at=timezone.now(), **checked
    )
    print(f"built {retirees:,} retirees in {time.perf_counter() - started:.0f} s", flush=True)
    vacuum(all_tables=True)


def vacuum(*, all_tables: bool = False) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if all_tables:
            cursor.execute("VACUUM ANALYZE")
        else:
            for table in TOUCHED:
                cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def new_run(*, status: str) -> AdjustmentRun:
    parameters = AdjustmentParameters.objects.filter(year=YEAR).order_by("-set_at", "-id").first()
    assert parameters is not None
    now = timezone.now()
    return AdjustmentRun.objects.create(
        parameters=parameters,
        year=YEAR,
        status=status,
        prepared_by=Staff.objects.get(username="bench_clerk"),
        prepared_at=now,
        job_started_at=now,
        job_heartbeat_at=now,
        job_attempts=1,
    )


def delete_runs() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM pensions_adjustmentline")
        cursor.execute("DELETE FROM pensions_adjustmentrun")


# The bare side of the dry run: the same people from the same query, the rise of the published values
# (tests/pensions/adjustment_flow.published_values) worked out in SQL, into the same table.
BARE_LINES = """
INSERT INTO pensions_adjustmentline (run_id, retiree_id, township_id, status, died_on, age,
       contribution_months, contribution_years, old_amount, flat_part, pension_part, years_part, age_part,
       flag_part, minimum_part, rise, new_amount, arrears_months, arrears_amount, problem)
SELECT %(run)s, id, township, status, died_on, age, months, years, base, 50, pension, years_part, age_part, 0,
       0, rise, base + rise, CASE WHEN rise IS NULL THEN 0 ELSE covered END, coalesce(rise * covered, 0),
       problem
  FROM (SELECT *, CASE WHEN problem = '' THEN round(50 + pension + years_part + age_part, 2) END AS rise
          FROM (SELECT people.id, people.township, people.status, people.died_on, people.months,
                       people.base, people.covered,
                       2026 - extract(year FROM people.birth)::int AS age,
                       (people.months / 12)::numeric AS years,
                       coalesce(people.base * 1.5 / 100, 0) AS pension,
                       least(people.months / 12, 15) * 1.00 + greatest(people.months / 12 - 15, 0) * 1.50
                           AS years_part,
                       CASE WHEN 2026 - extract(year FROM people.birth) >= 80 THEN 50
                            WHEN 2026 - extract(year FROM people.birth) >= 75 THEN 30
                            WHEN 2026 - extract(year FROM people.birth) >= 70 THEN 20 ELSE 0 END AS age_part,
                       CASE WHEN people.pending THEN 'pending_change' WHEN people.later THEN 'later_rate'
                            WHEN people.base IS NULL THEN 'no_rate'
                            WHEN people.months <= 0 THEN 'no_contribution' ELSE '' END AS problem
                  FROM (__PEOPLE__) AS people (id, township, status, died_on, birth, months, base, later,
                                               pending, codes, covered)) computed) risen
"""

# The bare side of the apply: the run's new rates and one arrears item per person and covered month (the
# months from January, as many as the line counts), into the same tables.
BARE_RATES = """
INSERT INTO registry_pensionrate (retiree_id, amount, effective_month, revision, reason, note, created_by_id,
                                  created_at)
SELECT l.retiree_id, l.new_amount, %(month)s,
       (SELECT count(*) FROM registry_pensionrate r
         WHERE r.retiree_id = l.retiree_id AND r.effective_month = %(month)s),
       'annual_adjustment', %(note)s, %(by)s, now()
  FROM pensions_adjustmentline l WHERE l.run_id = %(run)s AND l.problem = ''
"""
BARE_ARREARS = """
INSERT INTO registry_arrearsitem (retiree_id, month, amount, reason, adjustment_year, note, created_by_id,
                                  created_at)
SELECT l.retiree_id, %(month)s - 1 + m, l.rise, 'annual_adjustment', %(year)s, %(note)s, %(by)s, now()
  FROM pensions_adjustmentline l CROSS JOIN LATERAL generate_series(1, l.arrears_months) m
 WHERE l.run_id = %(run)s AND l.problem = '' AND l.rise > 0
"""


def people_params() -> dict[str, object]:
    parameters = AdjustmentParameters.objects.filter(year=YEAR).order_by("-set_at", "-id").first()
    assert parameters is not None
    return {
        "month": JAN.number,
        "month_start": JAN.first_day,
        "adjustment_reason": PensionRate.Reason.ANNUAL_ADJUSTMENT,
        "pending": ChangeRequest.Status.PENDING,
        "amount_fields": tuple(str(field) for field in AMOUNT_FIELDS),
        "retired_by": parameters.retired_by,
        "include_suspended": parameters.include_suspended,
        "include_deceased": parameters.include_deceased,
        **covered_months_params(JAN, JUN),
    }


def bare_dry_run() -> tuple[float, int]:
    with transaction.atomic():
        run = new_run(status=AdjustmentRun.Status.DISCARDED)
        query = RUN_PEOPLE.replace("{covered}", COVERED_MONTHS)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            started = time.perf_counter()
            cursor.execute(BARE_LINES.replace("__PEOPLE__", query), {**people_params(), "run": run.pk})
            elapsed, rows = time.perf_counter() - started, cursor.rowcount
        transaction.set_rollback(True)
    return elapsed, rows


def service_dry_run() -> tuple[float, AdjustmentRun]:
    run = new_run(status=AdjustmentRun.Status.QUEUED)
    started = time.perf_counter()
    computed = adjustment_dry_run(run_id=run.pk)
    elapsed = time.perf_counter() - started
    assert computed is not None and computed.status == AdjustmentRun.Status.COMPUTED, computed
    return elapsed, computed


def approve(run: AdjustmentRun) -> None:
    """Submitted, approved by the reviewer and set applying, as the pages would leave it (rows directly)."""
    now = timezone.now()
    AdjustmentRun.objects.filter(pk=run.pk).update(
        status=AdjustmentRun.Status.APPLYING,
        submitted_at=now,
        approved_by=Staff.objects.get(username="bench_reviewer"),
        approved_at=now,
        applied_by=Staff.objects.get(username="bench_clerk"),
    )


def bare_apply(run: AdjustmentRun) -> tuple[float, int, int]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            params = {
                "run": run.pk,
                "month": JAN.number,
                "year": YEAR,
                "note": f"{YEAR} 年度养老金调整(调待)",
                "by": Staff.objects.get(username="bench_clerk").pk,
            }
            started = time.perf_counter()
            cursor.execute(BARE_RATES, params)
            rates = cursor.rowcount
            cursor.execute(BARE_ARREARS, params)
            arrears = cursor.rowcount
            elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, rates, arrears


def service_apply(run: AdjustmentRun) -> tuple[float, int, int]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        applied = adjustment_apply(run_id=run.pk)
        elapsed = time.perf_counter() - started
        assert applied is not None and applied.status == AdjustmentRun.Status.APPLIED, applied
        transaction.set_rollback(True)
    return elapsed, applied.rates_written, applied.arrears_written


def one_round(round_number: int) -> dict[str, float]:
    """Both sides of the dry run, then both sides of the apply on the run just computed; odd rounds the
    service first, even rounds the bare statement first (a cache warmed by one must not always favour it)."""
    service_first = round_number % 2 == 1
    state: dict[str, float] = {}
    if not service_first:
        state["bare_dry"], state["bare_lines"] = bare_dry_run()
    state["dry"], run = service_dry_run()
    if service_first:
        state["bare_dry"], state["bare_lines"] = bare_dry_run()
    state["lines"] = AdjustmentLine.objects.filter(run=run).count()
    assert state["bare_lines"] == state["lines"], state
    approve(run)
    if not service_first:
        state["bare_apply"], state["bare_rates"], state["bare_arrears"] = bare_apply(run)
    state["apply"], state["rates"], state["arrears"] = service_apply(run)
    if service_first:
        state["bare_apply"], state["bare_rates"], state["bare_arrears"] = bare_apply(run)
    assert (state["rates"], state["arrears"]) == (state["bare_rates"], state["bare_arrears"]), state
    return state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if args.rebuild or Retiree.objects.count() != args.retirees:
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …", flush=True)
        build(args.retirees)
    delete_runs()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pensions_payoutline")
        lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM registry_pensionrate")
        rates = cursor.fetchone()[0]
    print(
        f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, "
        f"{rates:,} rates, "
        f"{lines:,} payout lines (2026-01…06 approved); load average {load()}",
        flush=True,
    )

    if args.rounds < 1:
        return
    results: dict[str, list[float]] = {key: [] for key in ("dry", "bare_dry", "apply", "bare_apply")}
    ratios: dict[str, list[float]] = {"dry": [], "apply": []}
    counts: dict[str, int] = {}
    for round_number in range(1, args.rounds + 1):
        vacuumed = vacuum()
        state = one_round(round_number)
        line_count = int(state["lines"])
        for key in results:
            results[key].append(state[key])
        ratios["dry"].append(results["dry"][-1] / results["bare_dry"][-1])
        ratios["apply"].append(results["apply"][-1] / results["bare_apply"][-1])
        counts = {"lines": line_count, "rates": int(state["rates"]), "arrears": int(state["arrears"])}
        print(
            f"round {round_number} (vacuum {vacuumed:.0f} s): dry run {results['dry'][-1]:.2f} s vs bare "
            f"{results['bare_dry'][-1]:.2f} s (ratio {ratios['dry'][-1]:.2f}); "
            f"apply {results['apply'][-1]:.2f} s "
            f"vs bare {results['bare_apply'][-1]:.2f} s (ratio {ratios['apply'][-1]:.2f}); "
            f"{line_count:,} lines, {counts['rates']:,} rates, {counts['arrears']:,} arrears; load {load()}",
            flush=True,
        )
        delete_runs()

    medians = {key: statistics.median(values) for key, values in results.items()}
    lines, written = counts["lines"], counts["rates"] + counts["arrears"]
    print()
    print(f"{'':<48}{'median':>10}{'rows/s':>12}")
    for key, label, rows in (
        ("bare_dry", "bare INSERT … SELECT of the lines (SQL rise)", lines),
        ("dry", "adjustment_dry_run (lines + figures)", lines),
        ("bare_apply", "bare INSERT … SELECT of rates + arrears", written),
        ("apply", "adjustment_apply (rates + arrears)", written),
    ):
        print(f"{label:<48}{medians[key]:>9.2f}s{rows / medians[key]:>12,.0f}")
    for key, label in (("dry", "dry run"), ("apply", "apply")):
        print(
            f"ratio {label} / bare: median of rounds {statistics.median(ratios[key]):.2f}, of medians "
            f"{medians[key] / medians['bare_' + key]:.2f} (rounds: "
            f"{', '.join(f'{ratio:.2f}' for ratio in ratios[key])}; aim ≤ 2)"
        )
    print(f"load average {load()}; {datetime.datetime.now(tz=datetime.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
