"""The August suspension job over 1,000,000 retirees: suspension_run against a bare UPDATE … WHERE NOT EXISTS.

Usage: .venv/bin/python bench/suspension.py [--rounds 3] [--certified-share 0.9]

Works in the payout plan benchmark's database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_plan`, built by
bench/payout_plan.py's `build` when empty), migrated first so the certification tables exist. Setup, once and
kept (not timed): the year's campaign (the county's mode), the system account the job acts as, and
certifications for the bench year of about 90 % of the active retirees by one set-based INSERT … SELECT
(spread over the April–May window and the channels, recorded by the bench clerk), then ANALYZE.

Each round, each side in a transaction rolled back so every round starts from the same data, alternating
which goes first:
- bare: `SET LOCAL work_mem = '64MB'` (as the job sets), then `UPDATE registry_retiree SET status =
  'suspended' WHERE status = 'active' AND retirement_date < '<year>-01-01' AND NOT EXISTS (SELECT 1 FROM
  certification_certification c WHERE c.retiree_id = registry_retiree.id AND c.year = …)` (the same people as
  the job: those retired during the year are not due; the table's audit triggers fire as for the job);
- suspension_run: the service as the beat job runs it (advisory lock, the UPDATE joined to the INSERT of one
  status change per person, the audit triggers with the job's pghistory context, the SuspensionRun record).
Prints each round, the median time of each, rows/s (rows suspended) and the ratio (aim ≤ 2).
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time

from benchdb import set_up_django

set_up_django(database="retiree_mgmt_bench_plan")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from certification.models import Certification, SuspensionRun  # noqa: E402
from certification.services import campaign_for_year, due_before, suspension_run  # noqa: E402
from registry.models import Retiree, Staff  # noqa: E402
from registry.services import system_staff  # noqa: E402

YEAR = 2026
TODAY = datetime.date(YEAR, 8, 1)
RETIREES = 1_000_000

# Certifications for a share of the active retirees, picked by a hash of the id (not by id % n, which the
# payout plan build also uses to choose statuses), dated over the window, channels in a plausible mix.
CERTIFY = """
INSERT INTO certification_certification (retiree_id, year, certified_on, channel, visitor_name, document,
                                         certifying_office, note, recorded_by_id, recorded_at)
SELECT r.id, %(year)s, date %(window_start)s + (r.id %% 61)::int,
       CASE WHEN r.id %% 20 < 9 THEN 'in_person' WHEN r.id %% 20 < 14 THEN 'online'
            WHEN r.id %% 20 < 17 THEN 'data_comparison' WHEN r.id %% 20 < 18 THEN 'remote_assisted'
            WHEN r.id %% 20 < 19 THEN 'certificate' ELSE 'home_visit' END,
       CASE WHEN r.id %% 20 = 19 THEN '基准上门' ELSE '' END, '',
       CASE WHEN r.id %% 20 = 17 THEN '基准异地社保局' ELSE '' END, '', %(clerk)s, now()
  FROM registry_retiree r
 WHERE r.status = %(active)s
   AND abs(hashtext(r.id::text)) %% 1000 < %(permille)s
"""

BARE = """
UPDATE registry_retiree SET status = %(suspended)s
 WHERE status = %(active)s AND retirement_date < %(due_before)s
   AND NOT EXISTS (SELECT 1 FROM certification_certification c
                    WHERE c.retiree_id = registry_retiree.id AND c.year = %(year)s)
"""


def build() -> None:
    """The bench database as bench/payout_plan.py builds it, when it holds no retirees."""
    from bench.payout_plan import build as build_plan_database

    build_plan_database(RETIREES)


def certify(share: float) -> None:
    """Certifications for the bench year, once; kept for later runs."""
    clerk = Staff.objects.get(username="bench_clerk")
    campaign = campaign_for_year(YEAR)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            CERTIFY,
            {
                "year": YEAR,
                "window_start": campaign.window_start.isoformat(),
                "clerk": clerk.pk,
                "active": Retiree.Status.ACTIVE,
                "permille": round(share * 1000),
            },
        )
        rows = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE certification_certification")
        cursor.execute("ANALYZE registry_retiree")
    print(f"certified {rows:,} retirees for {YEAR} in {time.perf_counter() - started:.0f} s")


def bare() -> tuple[float, int]:
    """The bare set-based UPDATE … WHERE NOT EXISTS with the job's work_mem; rolled back."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            started = time.perf_counter()
            cursor.execute(
                BARE,
                {
                    "suspended": Retiree.Status.SUSPENDED,
                    "active": Retiree.Status.ACTIVE,
                    "due_before": due_before(YEAR),
                    "year": YEAR,
                },
            )
            elapsed, rows = time.perf_counter() - started, cursor.rowcount
        transaction.set_rollback(True)
    return elapsed, rows


def service() -> tuple[float, int]:
    """suspension_run as the beat job runs it; rolled back."""
    with transaction.atomic():
        started = time.perf_counter()
        run = suspension_run(year=YEAR, today=TODAY)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, run.suspended_count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--certified-share", type=float, default=0.9)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if not Retiree.objects.exists():
        print(f"building {RETIREES:,} retirees in {connection.settings_dict['NAME']} …")
        build()
    # Kept, as in production: the year's campaign and the system account exist before August.
    campaign = campaign_for_year(YEAR)
    system_staff()
    if SuspensionRun.objects.filter(year=YEAR).exists():
        sys.exit(f"a suspension run for {YEAR} is stored in this database; the job would do nothing")
    if not Certification.objects.filter(year=YEAR).exists():
        certify(args.certified_share)
    active = Retiree.objects.filter(status=Retiree.Status.ACTIVE).count()
    certified = Certification.objects.filter(year=YEAR).count()
    print(
        f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, "
        f"{active:,} active, {certified:,} certified for {YEAR} ({certified / active:.1%}), "
        f"mode {campaign.mode}, run on {TODAY}"
    )

    bare_times: list[float] = []
    service_times: list[float] = []
    ratios: list[float] = []
    suspended = 0
    for round_number in range(1, args.rounds + 1):
        # Alternate which goes first, so a cache warmed by one does not always favour the other.
        if round_number % 2:
            bare_time, bare_rows = bare()
            service_time, suspended = service()
        else:
            service_time, suspended = service()
            bare_time, bare_rows = bare()
        assert bare_rows == suspended, (bare_rows, suspended)
        bare_times.append(bare_time)
        service_times.append(service_time)
        ratios.append(service_time / bare_time)
        print(
            f"round {round_number}: bare {bare_time:.2f} s, suspension_run {service_time:.2f} s "
            f"(ratio {ratios[-1]:.2f}), {suspended:,} suspended"
        )

    bare_median, service_median = statistics.median(bare_times), statistics.median(service_times)
    print()
    print(f"{'':<34}{'median':>10}{'rows/s':>12}")
    print(f"{'bare UPDATE … WHERE NOT EXISTS':<34}{bare_median:>9.2f}s{suspended / bare_median:>12,.0f}")
    print(
        f"{'suspension_run (+status changes)':<34}{service_median:>9.2f}s{suspended / service_median:>12,.0f}"
    )
    print(
        f"ratio suspension_run / bare: median of rounds {statistics.median(ratios):.2f}, "
        f"of medians {service_median / bare_median:.2f} (aim ≤ 2)"
    )


if __name__ == "__main__":
    main()
