"""The search box over 1,000,000 retirees: p50/p95 per kind of query, and the indexes the plans use.

Usage: .venv/bin/python bench/search.py [--retirees 1000000] [--rounds 200] [--rebuild] [--work N]

Works in its own database, `retiree_mgmt_bench` on the configured server (or BENCH_DATABASE_URL), built once
and reused: migrations, the demo county's units, banks and logins (registry.demo_county), then the retirees
drawn with the demo county's name and ID generator and written with COPY, their accounts, rates,
certificate numbers and search keys by set-based SQL, then ANALYZE. Building 1M takes a few minutes.

Each query runs through the real selector as the list page does (the first page of 50, the capped count and
the page's bank and amount columns), for a county clerk and for two township officers: 城关镇 (the county
seat, the largest township) and 梅林镇 (a smaller one). After the timings, every SQL statement of one
representative search per kind is EXPLAINed; the indexes found in the plans are printed, and any
"Seq Scan on registry_retiree" is flagged.

With --work N it measures what a search costs the server instead of the time it takes, which a loaded
machine does not disturb: per kind and user, the p95 over N queries of the number of statements, the shared
buffers they touch and their execution time inside PostgreSQL (EXPLAIN ANALYZE BUFFERS).
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import random
import re
import statistics
import time
from collections.abc import Callable

from benchdb import set_up_django

set_up_django(database="retiree_mgmt_bench")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry import demo_county  # noqa: E402
from registry.access import retirees_visible_to  # noqa: E402
from registry.models import OrgUnit, Retiree, Staff  # noqa: E402
from registry.search import search_keys_for  # noqa: E402
from registry.selectors import RetireeFilters, retiree_list  # noqa: E402

SEED = 20260506
AS_OF = datetime.date(2026, 5, 6)
PAGE_SIZE = 50
COPY_CHUNK = 100_000
USERS = ("clerk", "chengguan", "meilin")


# --- building the data ------------------------------------------------------------------------------------


def _built_count() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT retirees FROM bench_meta")
        row = cursor.fetchone()
        return row[0] if row else None


def build(count: int) -> None:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_county.seed_demo_county(retirees=0, seed=SEED, as_of=AS_OF)
    units = {unit.code: unit.pk for unit in OrgUnit.objects.all()}
    with transaction.atomic(), connection.cursor() as cursor:
        # Replica mode skips the audit triggers and the foreign-key checks: the bench writes consistent rows
        # and only measures reads.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("DROP TABLE IF EXISTS bench_meta")
        cursor.execute(
            "TRUNCATE registry_retireesearchkey, registry_bankaccount, registry_pensionrate, "
            "registry_statuschange, registry_agent, registry_retiree CASCADE"
        )
        names = _copy_retirees(cursor, count, units)
        print(f"  retirees written ({time.perf_counter() - started:.0f} s)")
        _insert_accounts_and_rates(cursor)
        print(f"  accounts and rates written ({time.perf_counter() - started:.0f} s)")
        _insert_search_keys(cursor, names)
        print(f"  search keys written ({time.perf_counter() - started:.0f} s)")
        cursor.execute("CREATE TABLE bench_meta (retirees integer NOT NULL)")
        cursor.execute("INSERT INTO bench_meta VALUES (%s)", [count])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"built {count:,} retirees in {time.perf_counter() - started:.0f} s")


def _copy_retirees(cursor, count: int, units: dict[str, int]) -> set[str]:
    """Draws people with the demo county's generator (names, valid ID numbers, communities) and COPYs them."""
    generator = demo_county._Generator(seed=SEED, as_of=AS_OF)
    rng = generator.rng
    oldest = datetime.date(1936, 1, 1).toordinal()
    youngest = datetime.date(1966, 12, 31).toordinal()
    sequence_of_year: dict[int, int] = {}
    names: set[str] = set()
    columns = (
        "id_number, id_number_original, name, sex, birth_date, phone, address, community_id, residence, "
        "remote_province, remote_city, remote_address, retirement_date, contribution_months, "
        "certificate_number, photo, status, died_on, created_at, updated_at"
    )
    now = "2026-05-06 09:00:00+08"
    buffer = io.StringIO()
    for index in range(count):
        male = rng.random() < 0.48
        birth = datetime.date.fromordinal(rng.randint(oldest, youngest))
        area = (
            demo_county.COUNTY_CODE
            if rng.random() < demo_county.LOCAL_AREA_SHARE
            else rng.choice(demo_county.OTHER_AREA_CODES)
        )
        id_number = generator.id_number(area, birth, male=male)
        name = generator.surname() + generator.given_name(male=male)
        names.add(name)
        community = rng.choices(generator.community_codes, cum_weights=generator.community_cum_weights)[0]
        retired = demo_county._last_day_of_month(birth.year + (60 if male else 50), birth.month)
        if retired >= AS_OF:
            retired = demo_county._last_day_of_month(birth.year + 55, birth.month)
        sequence_of_year[retired.year] = sequence_of_year.get(retired.year, 0) + 1
        certificate = f"{demo_county.COUNTY_CODE}{retired.year}{sequence_of_year[retired.year]:05d}"
        draw = rng.random()
        status, died_on = "active", "\\N"
        if draw < 0.005:
            status, died_on = "deceased", (AS_OF - datetime.timedelta(days=rng.randint(20, 700))).isoformat()
        elif draw < 0.015:
            status = "suspended"
        remote = rng.random() < demo_county.REMOTE_SHARE
        row = (
            id_number,
            "",
            name,
            "M" if male else "F",
            birth.isoformat(),
            generator.phone(),
            "",
            str(units[community]),
            "remote" if remote else "local",
            "广东省" if remote else "",
            "深圳市" if remote else "",
            "宝安区新安街道1号" if remote else "",
            retired.isoformat(),
            str(rng.randint(180, 480)),
            certificate,
            "",
            status,
            died_on,
            now,
            now,
        )
        buffer.write("\t".join(row) + "\n")
        if (index + 1) % COPY_CHUNK == 0 or index + 1 == count:
            buffer.seek(0)
            cursor.copy_expert(f"COPY registry_retiree ({columns}) FROM STDIN", buffer)
            buffer = io.StringIO()
    return names


def _insert_accounts_and_rates(cursor) -> None:
    # Account numbers: the bank's card prefix and a bijection of the retiree id (the multiplier is coprime
    # with 10^12), so numbers are unique without a lookup. One in ten also has an older, closed account.
    cursor.execute("SELECT id, code FROM registry_bank")
    bank = dict((code, pk) for pk, code in cursor.fetchall())
    case_bank = (
        f"CASE WHEN r.id % 100 < 45 THEN {bank['PSBC']} WHEN r.id % 100 < 75 THEN {bank['RCB']} "
        f"ELSE {bank['CCB']} END"
    )
    cursor.execute(
        f"""
        INSERT INTO registry_bankaccount
            (retiree_id, bank_id, account_number, holder_name, is_current, valid_from, valid_until,
             created_at)
        SELECT r.id, {case_bank},
               CASE WHEN r.id % 100 < 45 THEN '621799' WHEN r.id % 100 < 75 THEN '623091' ELSE '621700' END
               || lpad(((r.id * 2654435761) % 1000000000000)::text, 12, '0') || (r.id % 10)::text,
               r.name, true, date_trunc('month', r.retirement_date) + interval '1 month', NULL, now()
        FROM registry_retiree r
        """
    )
    cursor.execute(
        """
        INSERT INTO registry_bankaccount
            (retiree_id, bank_id, account_number, holder_name, is_current, valid_from, valid_until,
             created_at)
        SELECT r.id, b.bank_id, '622188' || lpad(((r.id * 48271) % 1000000000000)::text, 12, '0') || '7',
               r.name, false, date_trunc('month', r.retirement_date) + interval '1 month',
               date_trunc('month', r.retirement_date) + interval '25 month', now()
        FROM registry_retiree r JOIN registry_bankaccount b ON b.retiree_id = r.id AND b.is_current
        WHERE r.id % 10 = 3
        """
    )
    cursor.execute(
        """
        INSERT INTO registry_pensionrate (retiree_id, amount, effective_month, reason, note, created_at)
        SELECT r.id, 1600 + (r.id * 37) % 340000 / 100.0,
               extract(year FROM m)::int * 100 + extract(month FROM m)::int, 'initial', '', now()
        FROM registry_retiree r, LATERAL (SELECT r.retirement_date + interval '1 month' AS m) months
        """
    )


def _insert_search_keys(cursor, names: set[str]) -> None:
    """Keys per distinct name (a few tens of thousands) in Python, then one join writes them for everyone; the
    table's indexes are dropped for the load and rebuilt after, which is many times faster than upkeep."""
    cursor.execute("CREATE TEMP TABLE bench_name_keys (name text, kind text, key text) ON COMMIT DROP")
    buffer = io.StringIO()
    for name in names:
        for kind, key in search_keys_for(name):
            buffer.write(f"{name}\t{kind}\t{key}\n")
    buffer.seek(0)
    cursor.copy_expert("COPY bench_name_keys FROM STDIN", buffer)
    cursor.execute(
        """
        SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
        WHERE c.conrelid = 'registry_retireesearchkey'::regclass AND c.contype IN ('u')
        """
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = 'registry_retireesearchkey'
          AND i.indexname NOT IN (SELECT conname FROM pg_constraint
                                  WHERE conrelid = 'registry_retireesearchkey'::regclass)
        """
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE registry_retireesearchkey DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(
        """
        INSERT INTO registry_retireesearchkey (retiree_id, kind, key)
        SELECT r.id, k.kind, k.key FROM registry_retiree r JOIN bench_name_keys k ON k.name = r.name
        """
    )
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE registry_retireesearchkey ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        cursor.execute(definition)


# --- measuring ----------------------------------------------------------------------------------------------


def _samples(size: int, user: Staff) -> list[dict[str, str]]:
    """Random retirees of the user's scope with what a clerk would type about them: officers look for their
    own township's people."""
    rng = random.Random(SEED)
    ids = list(retirees_visible_to(user).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.id_number, r.certificate_number, r.name, b.account_number
            FROM registry_retiree r JOIN registry_bankaccount b ON b.retiree_id = r.id AND b.is_current
            WHERE r.id = ANY(%s)
            """,
            [rng.sample(ids, size)],
        )
        rows = cursor.fetchall()
    return [{"id": row[0], "certificate": row[1], "name": row[2], "account": row[3]} for row in rows]


def _pinyin_prefix(name: str, rng: random.Random) -> str:
    readings = [key for kind, key in search_keys_for(name) if kind == "p"]
    reading = rng.choice(readings)
    return reading[: rng.randint(3, len(reading))]


def _initials(name: str, rng: random.Random) -> str:
    return rng.choice([key for kind, key in search_keys_for(name) if kind == "i"])


def query_kinds(samples: list[dict[str, str]]) -> dict[str, Callable[[random.Random], str]]:
    three = [s for s in samples if len(s["name"]) == 3]
    with_x = [s for s in samples if s["id"].endswith("X")]

    def pick(rng: random.Random, pool: list[dict[str, str]] = samples) -> dict[str, str]:
        return rng.choice(pool)

    return {
        "exact ID (18)": lambda rng: pick(rng)["id"],
        "ID prefix (6)": lambda rng: pick(rng)["id"][:6],
        "ID prefix (10)": lambda rng: pick(rng)["id"][:10],
        "ID prefix lower-case x": lambda rng: pick(rng, with_x)["id"][:17] + "x",
        "certificate prefix (12)": lambda rng: pick(rng)["certificate"][:12],
        "account exact": lambda rng: pick(rng)["account"],
        "name prefix (2 chars)": lambda rng: pick(rng, three)["name"][:2],
        "1-char piece": lambda rng: rng.choice(pick(rng)["name"][1:]),
        "2-char piece (given name)": lambda rng: pick(rng, three)["name"][1:],
        "3-char name": lambda rng: pick(rng, three)["name"],
        "pinyin prefix": lambda rng: _pinyin_prefix(pick(rng)["name"], rng),
        "pinyin initials": lambda rng: _initials(pick(rng)["name"], rng),
    }


def measure(user: Staff, make_query: Callable[[random.Random], str], rounds: int) -> tuple[float, float, int]:
    rng = random.Random(7)
    timings, found = [], 0
    for _round in range(rounds):
        filters = RetireeFilters(q=make_query(rng))
        started = time.perf_counter()
        page = retiree_list(user=user, filters=filters, page=1, page_size=PAGE_SIZE)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(page.retirees)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], found


def _plan_totals(plan: dict) -> tuple[int, float]:
    return plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0), plan[
        "Execution Time"
    ]


def work(user: Staff, make_query: Callable[[random.Random], str], samples: int) -> tuple[int, int, float]:
    """What one search costs the server, whatever the load: p95 over `samples` queries of the statements
    run, the shared buffers they touched and their execution time inside PostgreSQL (EXPLAIN ANALYZE
    BUFFERS of each statement, run again after the search; every page is in cache by then)."""
    rng = random.Random(7)
    statements, buffers, server_ms = [], [], []
    for _sample in range(samples):
        with CaptureQueriesContext(connection) as captured:
            retiree_list(user=user, filters=RetireeFilters(q=make_query(rng)), page=1, page_size=PAGE_SIZE)
        total_buffers, total_ms = 0, 0.0
        with connection.cursor() as cursor:
            for statement in captured.captured_queries:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement["sql"])
                hit, ms = _plan_totals(cursor.fetchone()[0][0])
                total_buffers += hit
                total_ms += ms
        statements.append(len(captured.captured_queries))
        buffers.append(total_buffers)
        server_ms.append(total_ms)
    at = max(0, int(samples * 0.95) - 1)
    return sorted(statements)[at], sorted(buffers)[at], sorted(server_ms)[at]


_INDEX = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)")


def plan_indexes(user: Staff, query: str) -> tuple[list[str], bool]:
    """EXPLAIN every statement one search runs; the indexes used and whether the retiree table is scanned."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        retiree_list(user=user, filters=RetireeFilters(q=query), page=1, page_size=PAGE_SIZE)
    found: list[str] = []
    seq_scan = False
    with connection.cursor() as cursor:
        for statement in captured.captured_queries:
            sql = statement["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            seq_scan |= "Seq Scan on registry_retiree " in plan + " "
            for index in _INDEX.findall(plan):
                if index not in found:
                    found.append(index)
    return found, seq_scan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--work",
        type=int,
        default=0,
        metavar="N",
        help="instead of timings: p95 over N queries of the statements, buffers and server time per search",
    )
    args = parser.parse_args()
    # As in production: the development settings' DEBUG would also log every query in memory.
    settings.DEBUG = False
    if args.rebuild or _built_count() != args.retirees:
        print(f"building {args.retirees:,} retirees in {connection.settings_dict['NAME']} …")
        build(args.retirees)
    if args.build_only:
        return
    total = Retiree.objects.count()
    print(f"database {connection.settings_dict['NAME']}: {total:,} retirees, rounds per line: {args.rounds}")
    users = {name: Staff.objects.select_related("org_unit").get(username=name) for name in USERS}
    kinds_of = {name: query_kinds(_samples(2000, user)) for name, user in users.items()}
    kinds = kinds_of["clerk"]
    print(f"load average {', '.join(f'{load:.2f}' for load in os.getloadavg())}")
    if args.work:
        header = "".join(f"{name + ' stmts/buffers/ms':>32}" for name in USERS)
        print(f"{'kind (p95 of ' + str(args.work) + ')':<28}{header}")
        for label in kinds:
            cells = []
            for name, user in users.items():
                statements, buffers, server_ms = work(user, kinds_of[name][label], args.work)
                cells.append(f"{statements:>3} / {buffers:>7,} / {server_ms:6.1f}")
            print(f"{label:<28}" + "".join(f"{cell:>32}" for cell in cells))
        print(f"load average {', '.join(f'{load:.2f}' for load in os.getloadavg())}")
        return
    header = "".join(f"{name + ' p50/p95 ms':>26}" for name in USERS)
    print(f"{'kind':<28}{header}")
    worst = 0.0
    for label in kinds:
        cells = []
        for name, user in users.items():
            p50, p95, found = measure(user, kinds_of[name][label], args.rounds)
            worst = max(worst, p95)
            cells.append(f"{p50:8.2f} / {p95:7.2f} ({found:>3} hit)")
        print(f"{label:<28}" + "".join(f"{cell:>26}" for cell in cells))
    print(f"worst p95: {worst:.2f} ms (target < 50 ms)")
    print(f"load average {', '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print()
    print("indexes in the plans of one search per kind (clerk | 梅林镇 officer):")
    rng = random.Random(11)
    for label in kinds:
        parts, queries = [], []
        for name in ("clerk", "meilin"):
            query = kinds_of[name][label](rng)
            queries.append(query)
            indexes, seq_scan = plan_indexes(users[name], query)
            flag = "  !! Seq Scan on registry_retiree" if seq_scan else ""
            parts.append(", ".join(indexes) + flag)
        print(f"{label:<28}{' | '.join(queries)}\n    {' | '.join(parts)}")


if __name__ == "__main__":
    main()
