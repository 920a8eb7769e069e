"""Payout plan generation over 1,000,000 retirees: plan_draft against a bare INSERT … SELECT of its lines.

Usage: .venv/bin/python bench/payout_plan.py [--retirees 1000000] [--rounds 5] [--rebuild]

Works in its own database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_plan` on the local server),
created, migrated and filled once by set-based SQL (generate_series; synthetic IDs and names, audit triggers
off while building): one county, 5 townships, 40 communities, 3 banks; 1M retirees (94 % active,
3 % suspended, 2 % deceased, 1 % terminated; 0.5 % paid regularly only from December), one current account
each, 1–3 rates each (2018-04, 2025-01 for two in three, 2026-01 for one in three), two arrears items each
for 1 % and an open recovery for 0.5 %. Then ANALYZE.

Each round, in transactions that are rolled back so every round starts from the same data:
- bare: `SET CONSTRAINTS ALL IMMEDIATE`, then one INSERT … SELECT of the same lines (pensions.services.plans
  LINES_CTES + INSERT_LINES: the rate in force, the account snapshot, arrears and deduction per line) into
  pensions_payoutline with its keys, indexes and triggers;
- plan_draft: the service as a clerk runs it (lock, lines + arrears releases + recovery deductions in one
  statement, totals per bank and township stored, recoveries settled, the totals checked against the lines).
Prints each round, the median time of each, rows/s and the ratio (aim ≤ 2); also the time of the approval's
hash of the lines (plan_lines_digest, streamed through Python).
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchdb import set_up_django

set_up_django(database="retiree_mgmt_bench_plan")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from pensions.models import PayoutPlan  # noqa: E402
from pensions.services import plan_draft, plan_lines_digest, recovery_share  # noqa: E402
from pensions.services.plans import INSERT_LINES, LINES_CTES  # noqa: E402
from registry.models import Recovery, Retiree, Staff  # noqa: E402
from registry.months import PensionMonth  # noqa: E402

MONTH = PensionMonth(2026, 11)
TOWNSHIPS = 5
COMMUNITIES_PER_TOWNSHIP = 8

BUILD = [
    "TRUNCATE registry_retiree, registry_retireesearchkey, registry_orgunit, registry_bank, "
    "registry_staff CASCADE",
    """INSERT INTO registry_orgunit (code, name, kind, parent_id, sort_order)
       VALUES ('999999', '基准县社保局', 'county', NULL, 0)""",
    """INSERT INTO registry_orgunit (code, name, kind, parent_id, sort_order)
       SELECT '999999' || lpad(t::text, 3, '0'), '乡镇' || t, 'township',
              (SELECT id FROM registry_orgunit WHERE code = '999999'), t
         FROM generate_series(1, %(townships)s) t""",
    """INSERT INTO registry_orgunit (code, name, kind, parent_id, sort_order)
       SELECT township.code || lpad(c::text, 3, '0'), township.name || '社区' || c, 'community',
              township.id, c
         FROM registry_orgunit township, generate_series(1, %(communities)s) c
        WHERE township.kind = 'township'""",
    """INSERT INTO registry_bank (code, name, channel, is_active) VALUES
       ('PSBC', '中国邮政储蓄银行', 'system_direct', true),
       ('RCC', '农村信用社', 'ebank_direct', true),
       ('CCB', '中国建设银行', 'agency', true)""",
    """INSERT INTO registry_staff (password, is_superuser, username, first_name, last_name, email, is_staff,
                                  is_active, date_joined, role, org_unit_id, phone)
       VALUES ('!', false, 'bench_clerk', '', '基', '', false, true, now(), 'bureau_clerk',
               (SELECT id FROM registry_orgunit WHERE code = '999999'), '')""",
    """INSERT INTO registry_retiree (id_number, id_number_original, name, sex, birth_date, phone, address,
                                    community_id, residence, remote_province, remote_city, remote_address,
                                    employer_id, work_start_date, retirement_date, contribution_months,
                                    certificate_number, photo, regular_payment_from, status, died_on,
                                    created_at, updated_at)
       SELECT '36' || lpad(n::text, 16, '0'), '', '退休' || n, CASE WHEN n %% 2 = 0 THEN 'F' ELSE 'M' END,
              date '1950-01-01' + (n %% 5000), '', '',
              community.id,
              'local', '', '', '', NULL, NULL, date '2018-03-31', 300, NULL, '',
              CASE WHEN n %% 200 = 7 THEN 202612 END,
              CASE WHEN n %% 100 < 3 THEN 'suspended' WHEN n %% 100 < 5 THEN 'deceased'
                   WHEN n %% 100 < 6 THEN 'terminated' ELSE 'active' END,
              CASE WHEN n %% 100 BETWEEN 3 AND 4 THEN date '2026-09-02' END,
              now(), now()
         FROM generate_series(1, %(retirees)s) n
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                 FROM registry_orgunit WHERE kind = 'community') community
              ON community.k = n %% (%(townships)s * %(communities)s)""",
    """INSERT INTO registry_bankaccount (retiree_id, bank_id, account_number, holder_name, is_current,
                                        valid_from, valid_until, created_by_id, created_at)
       SELECT r.id, bank.id, '6221' || lpad(r.id::text, 15, '0'), r.name, true, date '2018-04-01', NULL, NULL,
              now()
         FROM registry_retiree r
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM registry_bank) bank
              ON bank.k = r.id %% 3""",
    """INSERT INTO registry_pensionrate (retiree_id, amount, effective_month, reason, note, created_by_id,
                                        created_at)
       SELECT r.id, 2000 + (r.id %% 1500) + (r.id %% 100) / 100.0, 201804, 'initial', '', NULL::bigint, now()
         FROM registry_retiree r
       UNION ALL
       SELECT r.id, 2100 + (r.id %% 1500) + (r.id %% 100) / 100.0, 202501, 'annual_adjustment', '', NULL,
              now()
         FROM registry_retiree r WHERE r.id %% 3 <> 0
       UNION ALL
       SELECT r.id, 2200 + (r.id %% 1500) + (r.id %% 100) / 100.0, 202601, 'annual_adjustment', '', NULL,
              now()
         FROM registry_retiree r WHERE r.id %% 3 = 1""",
    """INSERT INTO registry_arrearsitem (retiree_id, month, amount, reason, change_request_id, note,
                                        created_by_id, created_at)
       SELECT r.id, m, 100 + (r.id %% 50), 'rate_change', NULL, '',
              (SELECT id FROM registry_staff WHERE username = 'bench_clerk'), now()
         FROM registry_retiree r, (VALUES (202609), (202610)) AS months(m)
        WHERE r.id %% 100 = 11""",
    """INSERT INTO registry_recovery (retiree_id, amount, from_month, to_month, reason, change_request_id,
                                     status, note, created_by_id, created_at)
       SELECT r.id, 500 + (r.id %% 3000), 202601, 202606, 'rate_change', NULL, 'open', '',
              (SELECT id FROM registry_staff WHERE username = 'bench_clerk'), now()
         FROM registry_retiree r
        WHERE r.id %% 200 = 13""",
]


def build(retirees: int) -> None:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Building only: no audit triggers, no key checks (the rows are made consistent by construction).
        cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in BUILD:
            cursor.execute(
                statement,
                {"retirees": retirees, "townships": TOWNSHIPS, "communities": COMMUNITIES_PER_TOWNSHIP},
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built {retirees:,} retirees in {time.perf_counter() - started:.0f} s")


def bare(clerk: Staff) -> tuple[float, int]:
    """The same lines by one INSERT … SELECT into the same table, keys checked per statement; rolled back."""
    with transaction.atomic():
        plan = PayoutPlan.objects.create(month=MONTH.number, created_by=clerk, generated_at=timezone.now())
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            started = time.perf_counter()
            cursor.execute(
                LINES_CTES + INSERT_LINES,
                {
                    "plan": plan.pk,
                    "month": MONTH.number,
                    "share": recovery_share(),
                    "active": Retiree.Status.ACTIVE,
                    "suspended": Retiree.Status.SUSPENDED,
                    "open": Recovery.Status.OPEN,
                    "pending": "pending",
                },
            )
            elapsed, rows = time.perf_counter() - started, cursor.rowcount
        transaction.set_rollback(True)
    return elapsed, rows


def service(clerk: Staff) -> tuple[float, int, float]:
    """plan_draft as a clerk runs it, then the approval's hash of the lines; rolled back."""
    with transaction.atomic():
        started = time.perf_counter()
        plan = plan_draft(month=MONTH, by=clerk)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        plan_lines_digest(plan=plan)
        digest = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, plan.line_count, digest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if args.rebuild or Retiree.objects.count() != args.retirees:
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …")
        build(args.retirees)
    clerk = Staff.objects.get(username="bench_clerk")
    print(f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, month {MONTH}")

    bare_times: list[float] = []
    service_times: list[float] = []
    digest_times: list[float] = []
    ratios: list[float] = []
    lines = 0
    for round_number in range(1, args.rounds + 1):
        # Alternate which goes first, so a cache warmed by one does not always favour the other.
        if round_number % 2:
            bare_time, bare_rows = bare(clerk)
            service_time, lines, digest_time = service(clerk)
        else:
            service_time, lines, digest_time = service(clerk)
            bare_time, bare_rows = bare(clerk)
        assert bare_rows == lines, (bare_rows, lines)
        bare_times.append(bare_time)
        service_times.append(service_time)
        digest_times.append(digest_time)
        ratios.append(service_time / bare_time)
        print(
            f"round {round_number}: bare {bare_time:.2f} s, plan_draft {service_time:.2f} s "
            f"(ratio {ratios[-1]:.2f}), lines hash {digest_time:.2f} s ({lines:,} lines)"
        )

    bare_median, service_median = statistics.median(bare_times), statistics.median(service_times)
    digest_median = statistics.median(digest_times)
    print()
    print(f"{'':<34}{'median':>10}{'rows/s':>12}")
    print(f"{'bare INSERT … SELECT':<34}{bare_median:>9.2f}s{lines / bare_median:>12,.0f}")
    print(f"{'plan_draft (lines+ledger+totals)':<34}{service_median:>9.2f}s{lines / service_median:>12,.0f}")
    print(f"{'lines hash (at approval)':<34}{digest_median:>9.2f}s{lines / digest_median:>12,.0f}")
    print(
        f"ratio plan_draft / bare: median of rounds {statistics.median(ratios):.2f}, "
        f"of medians {service_median / bare_median:.2f} (aim ≤ 2)"
    )


if __name__ == "__main__":
    main()
