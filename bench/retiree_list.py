"""The retiree list page's queries as each demo persona runs them: p50/p95 of the first page (with its capped
count, docs/search.md).

Usage: .venv/bin/python bench/retiree_list.py [--rounds 200]
Needs the demo county (manage.py seed_demo) in the configured database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from benchdb import set_up_django

set_up_django()

from registry.models import Bank, Retiree, Staff  # noqa: E402
from registry.selectors import RetireeFilters, retiree_list  # noqa: E402


def measure(label: str, user: Staff, make_filters, rounds: int) -> None:
    timings = []
    for _ in range(rounds):
        filters = make_filters()
        started = time.perf_counter()
        # What the list page runs: the first page with bank and amount, and the count capped at 1,000.
        page = retiree_list(user=user, filters=filters, page=1, page_size=50).retirees
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    p50 = statistics.median(timings)
    print(f"{label:<42} rows/page≈{len(page):>3}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    total = Retiree.objects.count()
    if not total:
        sys.exit("No retirees: run `manage.py seed_demo` first.")
    sample = list(Retiree.objects.values_list("id_number", "name")[:: max(1, total // 500)])
    banks = list(Bank.objects.values_list("id", flat=True))
    print(f"retirees: {total}, rounds per line: {args.rounds}")
    for username in ("clerk", "chengguan"):
        user = Staff.objects.select_related("org_unit").get(username=username)
        measure(f"{username}: first page, no filter", user, RetireeFilters, args.rounds)
        measure(
            f"{username}: ID prefix (8 chars)",
            user,
            lambda: RetireeFilters(q=rng.choice(sample)[0][:8]),
            args.rounds,
        )
        measure(
            f"{username}: name prefix (surname)",
            user,
            lambda: RetireeFilters(q=rng.choice(sample)[1][:1]),
            args.rounds,
        )
        measure(
            f"{username}: status suspended + bank",
            user,
            lambda: RetireeFilters(status="suspended", bank_id=rng.choice(banks)),
            args.rounds,
        )


if __name__ == "__main__":
    main()
