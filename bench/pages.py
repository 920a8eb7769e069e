"""The pages people open all day at 1,000,000 retirees: p50/p95 per page and user through the test Client.

Usage: .venv/bin/python bench/pages.py [--rounds 50] [--rebuild] [--build-only] [--only PAGE] [--explain]

Works in its own database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_pages`), built once and reused
(`--rebuild` builds it again):
- bench/search.py's build: migrations, the demo county's units, banks and logins (admin, clerk, clerk2,
  reviewer, auditor, 城关镇's officer chengguan, 梅林镇's officer meilin), 1,000,000 retirees from the demo
  county's generator with accounts, rates and search keys by set-based SQL;
- the campaign of the current year (the county's mode) and certifications for about half of the due retirees
  (one INSERT … SELECT, dated over the window);
- last month's payout plan and the month's, each drafted by plan_draft as the clerk (about 985,000 lines
  each; the pages show the month's);
- audit events: a phone change of one retiree in ten by one UPDATE with the pghistory triggers on (100,000
  events), 200,000 full-number views and 20,000 certificate prints spread over two years;
- the certification progress counts rebuilt (`manage.py rebuild_progress_counts`: the build wrote with the
  triggers off), then VACUUM ANALYZE.

Then each page is requested `--rounds` times through django.test.Client as its users see it, DEBUG off, with a
different record, page, unit or filter each round, and p50/p95 are printed per page and user with the load
average and the SQL statements of one request. Last, the slowest statements of each page are EXPLAINed
(`--explain`). docs/page-speed.md holds the figures and what was changed.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import random
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/retiree_mgmt_bench_pages")

import search  # noqa: E402  # sets Django up on BENCH_DATABASE_URL
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification.models import Campaign  # noqa: E402
from pensions.models import PayoutPlan  # noqa: E402
from pensions.services import plan_draft  # noqa: E402
from registry.models import OrgUnit, Retiree, Staff  # noqa: E402
from registry.months import PensionMonth  # noqa: E402

RETIREES = 1_000_000

CERTIFY = """
INSERT INTO certification_certification (retiree_id, year, certified_on, channel, visitor_name, document,
                                         certifying_office, note, recorded_by_id, recorded_at)
SELECT r.id, %(year)s, date %(window_start)s + (r.id %% 61)::int,
       CASE WHEN r.id %% 20 < 9 THEN 'in_person' WHEN r.id %% 20 < 14 THEN 'online'
            WHEN r.id %% 20 < 17 THEN 'data_comparison' ELSE 'certificate' END,
       '', '', '', '', %(clerk)s, now()
  FROM registry_retiree r
 WHERE r.status IN ('active', 'suspended') AND r.retirement_date < %(due_before)s
   AND abs(hashtext(r.id::text)) %% 1000 < 520
"""
AUDIT_UPDATE = """
UPDATE registry_retiree SET phone = '139' || lpad((id % 100000000)::text, 8, '0') WHERE id % 10 = 0
"""
SENSITIVE_VIEWS = """
INSERT INTO registry_sensitiveview (staff_id, retiree_id, field, viewed_at)
SELECT %(staff)s, r.id, CASE WHEN r.id %% 2 = 0 THEN 'id_number' ELSE 'account_number' END,
       now() - (r.id %% 730) * interval '1 day' - (r.id %% 86400) * interval '1 second'
  FROM registry_retiree r WHERE r.id %% 5 = 1
"""
CERTIFICATE_PRINTS = """
INSERT INTO registry_certificateprint (retiree_id, certificate_number, channel, printed_by_id, printed_at)
SELECT r.id, r.certificate_number, 'page', %(staff)s,
       now() - (r.id %% 730) * interval '1 day' - (r.id %% 3600) * interval '1 second'
  FROM registry_retiree r WHERE r.id %% 50 = 7
"""


def _log(text: str, started: float) -> None:
    print(f"  {text} ({time.perf_counter() - started:.0f} s)", flush=True)


def build(count: int, *, rebuild: bool) -> None:
    started = time.perf_counter()
    # The registry part is search.py's and is reused when it is there (an interrupted build resumes here).
    if rebuild or search._built_count() != count:
        search.build(count)
        _log("registry built", started)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE certification_certification, registry_sensitiveview, registry_certificateprint, "
            "pensions_payoutplan, certification_campaign CASCADE"
        )
    today = timezone.localdate()
    clerk = Staff.objects.get(username="clerk")
    admin = Staff.objects.get(username="admin")
    campaign = Campaign.or_default(today.year)
    if campaign.pk is None:
        campaign.save()
    from certification.services import due_before

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            CERTIFY,
            {
                "year": today.year,
                "window_start": campaign.window_start.isoformat(),
                "clerk": clerk.pk,
                "due_before": due_before(today.year),
            },
        )
        _log(f"{cursor.rowcount:,} certifications", started)
        cursor.execute(AUDIT_UPDATE)
        _log(f"{cursor.rowcount:,} retirees changed with the audit triggers on", started)
        cursor.execute(SENSITIVE_VIEWS, {"staff": admin.pk})
        cursor.execute(CERTIFICATE_PRINTS, {"staff": clerk.pk})
        _log("views and prints", started)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # Last month's plan first, as an office's database holds a plan a month: the month's plan, the one the
    # pages show, has the newer lines, and a page of it must not walk past last month's.
    earlier = plan_draft(month=_month(today).plus(-1), by=clerk)
    _log(f"plan {earlier.month} drafted, {earlier.line_count:,} lines", started)
    plan = plan_draft(month=_month(today), by=clerk)
    _log(f"plan {plan.month} drafted, {plan.line_count:,} lines", started)
    # The build wrote with the triggers off: the kept counts are made from the tables once.
    call_command("rebuild_progress_counts")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_pages_meta")
        cursor.execute("CREATE TABLE bench_pages_meta (retirees integer NOT NULL)")
        cursor.execute("INSERT INTO bench_pages_meta VALUES (%s)", [count])
        cursor.execute("VACUUM ANALYZE")
    _log("built", started)


def _month(today: datetime.date) -> PensionMonth:
    return PensionMonth(today.year, today.month)


def _built() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_pages_meta')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT retirees FROM bench_pages_meta")
        row = cursor.fetchone()
        return row[0] if row else None


# --- measuring ---------------------------------------------------------------------------------------------

Url = Callable[[random.Random], str]


def pages(users: dict[str, Staff]) -> list[tuple[str, list[str], Url]]:
    """(page, users, url maker): each call draws another record, page or filter."""
    county_ids = list(Retiree.objects.order_by().values_list("id", flat=True)[::997])
    townships = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP).values_list("id", flat=True))
    plan = PayoutPlan.objects.order_by("-month").first()
    assert plan is not None
    statuses = ["", "active", "suspended", "deceased"]

    def record(rng: random.Random) -> str:
        return f"/retirees/{rng.choice(county_ids)}/"

    def record_audit(rng: random.Random) -> str:
        return f"/retirees/{rng.choice(county_ids)}/audit/"

    def progress(rng: random.Random) -> str:
        return rng.choice(
            ["/certification/progress/", f"/certification/progress/?unit={rng.choice(townships)}"]
        )

    def retiree_list(rng: random.Random) -> str:
        status = rng.choice(statuses)
        return f"/retirees/?page={rng.randint(1, 200)}" + (f"&status={status}" if status else "")

    def plan_page(rng: random.Random) -> str:
        choice = rng.random()
        if choice < 0.4:
            return f"/pensions/plans/{plan.pk}/?page={rng.randint(1, 1000)}"
        if choice < 0.7:
            return f"/pensions/plans/{plan.pk}/?township={rng.choice(townships)}&page={rng.randint(1, 50)}"
        return f"/pensions/plans/{plan.pk}/"

    audit_kinds = ["", "sensitive_view", "rate_change", "certificate_print", "change_decision"]

    def audit(rng: random.Random) -> str:
        kind = rng.choice(audit_kinds)
        return "/audit/" + (f"?kind={kind}" if kind else "")

    def history_admin(rng: random.Random) -> str:
        table = rng.choice(["registry/retireeevent", "certification/certificationevent"])
        return f"/admin/{table}/?p={rng.randint(1, 200)}"

    officers = ["chengguan", "meilin"]
    return [
        ("home", ["admin", "clerk", "reviewer", "auditor", *officers], lambda rng: "/"),
        ("certification progress", ["clerk", *officers], progress),
        ("plan page", ["clerk", "reviewer"], plan_page),
        ("retiree list (no search)", ["clerk", *officers], retiree_list),
        ("record page", ["clerk", *officers], record),
        ("record audit tab", ["clerk", "auditor"], record_audit),
        ("audit log", ["admin", "auditor"], audit),
        ("pghistory admin", ["admin"], history_admin),
    ]


def _url_for(page: str, user: str, maker: Url, users_own: dict[str, Url]) -> Url:
    return users_own.get(f"{page}:{user}", maker)


def measure(client: Client, url: Url, rounds: int, seed: int) -> tuple[float, float, int, int, str]:
    rng = random.Random(seed)
    timings: list[float] = []
    status = 200
    for _ in range(rounds):
        target = url(rng)
        started = time.perf_counter()
        response = client.get(target)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            status = response.status_code
            raise SystemExit(f"{target}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url(rng))
    timings.sort()
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""})["sql"]
    return statistics.median(timings), p95, len(captured), status, slowest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=RETIREES)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--only", default="", help="measure only pages whose name contains this")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statement of each"
    )
    args = parser.parse_args()
    settings.DEBUG = False
    # django-axes logs every forced login at INFO.
    logging.getLogger("axes").setLevel(logging.WARNING)
    logging.getLogger("axes.watch_login").setLevel(logging.WARNING)
    if args.rebuild or _built() != args.retirees:
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …", flush=True)
        build(args.retirees, rebuild=args.rebuild)
    if args.build_only:
        return
    names = ("admin", "clerk", "reviewer", "auditor", "chengguan", "meilin")
    users = {name: Staff.objects.select_related("org_unit").get(username=name) for name in names}
    Staff.objects.filter(username="admin").update(is_staff=True)
    clients: dict[str, Client] = {}
    for name, user in users.items():
        clients[name] = Client(HTTP_HOST="localhost")
        clients[name].force_login(user)
    own_records = {
        name: list(
            Retiree.objects.filter(community__parent_id=users[name].org_unit_id).values_list("id", flat=True)[
                ::211
            ]
        )
        for name in ("chengguan", "meilin")
    }
    own_communities = {
        name: list(OrgUnit.objects.filter(parent_id=users[name].org_unit_id).values_list("id", flat=True))
        for name in ("chengguan", "meilin")
    }
    per_user: dict[str, Url] = {}
    for name in ("chengguan", "meilin"):
        ids, units = own_records[name], own_communities[name]
        per_user[f"record page:{name}"] = lambda rng, ids=ids: f"/retirees/{rng.choice(ids)}/"
        per_user[f"record audit tab:{name}"] = lambda rng, ids=ids: f"/retirees/{rng.choice(ids)}/audit/"
        per_user[f"certification progress:{name}"] = lambda rng, units=units: rng.choice(
            ["/certification/progress/", f"/certification/progress/?unit={rng.choice(units)}"]
        )
    print(
        f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, "
        f"{args.rounds} rounds per line, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    # Warm up: templates, translations, URL patterns, the first session read.
    for client in clients.values():
        client.get("/")
    print(f"{'page':<28}{'user':<11}{'p50 ms':>9}{'p95 ms':>9}{'SQL':>5}{'load':>7}")
    worst = 0.0
    slow: list[tuple[float, str, str]] = []
    for page, page_users, maker in pages(users):
        if args.only and args.only not in page:
            continue
        for index, name in enumerate(page_users):
            url = _url_for(page, name, maker, per_user)
            p50, p95, queries, _status, slowest = measure(clients[name], url, args.rounds, seed=index + 1)
            worst = max(worst, p95)
            slow.append((p95, page, slowest))
            flag = "  !!" if p95 >= 300 else ""
            print(
                f"{page:<28}{name:<11}{p50:9.1f}{p95:9.1f}{queries:5d}{os.getloadavg()[0]:7.2f}{flag}",
                flush=True,
            )
    print(f"worst p95: {worst:.1f} ms (target < 300 ms), load average {os.getloadavg()}")
    if args.explain:
        seen: set[str] = set()
        for p95, page, sql in sorted(slow, reverse=True):
            if page in seen or not sql.lstrip().upper().startswith("SELECT"):
                continue
            seen.add(page)
            print(f"\n--- {page} (p95 {p95:.1f} ms): slowest statement\n{sql[:600]}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(row[0] for row in cursor.fetchall()[:25]))


if __name__ == "__main__":
    main()
