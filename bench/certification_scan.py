"""The township entry screen's scan-to-saved time on 1,000,000 retirees, server side (aim: p95 < 100 ms).

Usage: .venv/bin/python bench/certification_scan.py [--people 500] [--keep]

Works in the payout plan benchmark's database (BENCH_DATABASE_URL, default `retiree_mgmt_bench_plan`,
built by bench/payout_plan.py's `build` when empty: 5 townships, 40 communities, 1M retirees), migrated
first. Setup, kept and not timed: a township officer `bench_officer` of the first township (乡镇1); for the
people drawn, a valid ID number (the build's synthetic numbers have no valid check character; these replace
them, unique by the retiree's id, with the retiree's birth date).

Measured: for --people random active retirees of that township not yet certified for this year, what the page
does when the officer scans and certifies, through Django's test Client (the whole stack: middleware, session,
login, htmx partial rendering), with DEBUG off:
- lookup: GET /certification/entry/lookup/?id_number=… (HX-Request), the card;
- certify: POST /certification/entry/certify/ (HX-Request), in person: the line, the new row, the count.
Prints p50 / p95 / max in ms for the lookup, the certify and their sum (scan-to-saved), and the SQL statements
of one of each. The certifications made are deleted at the end (unless --keep), so the suspension benchmark
finds the same data.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time

# The figures are for production settings: no SQL logging, no debug pages.
os.environ.setdefault("DJANGO_DEBUG", "false")

from benchdb import set_up_django  # noqa: E402

set_up_django(database="retiree_mgmt_bench_plan")

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification.models import Certification  # noqa: E402
from registry.id_numbers import check_character, parse_resident_id  # noqa: E402
from registry.models import OrgUnit, Retiree, Staff  # noqa: E402

RETIREES = 1_000_000
LOOKUP = "/certification/entry/lookup/"
CERTIFY = "/certification/entry/certify/"
HTMX = {"HX-Request": "true"}

PICK = """
SELECT r.id, r.birth_date, r.id_number
  FROM registry_retiree r
  JOIN registry_orgunit c ON c.id = r.community_id
 WHERE c.parent_id = %(township)s
   AND r.status = 'active'
   AND NOT EXISTS (SELECT 1 FROM certification_certification x
                    WHERE x.retiree_id = r.id AND x.year = %(year)s)
 ORDER BY random()
 LIMIT %(people)s
"""


def officer() -> Staff:
    township = OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP).order_by("sort_order", "code").first()
    assert township is not None, "no township in the bench database"
    staff, created = Staff.objects.get_or_create(
        username="bench_officer",
        defaults={"role": Staff.Role.TOWNSHIP_STAFF, "org_unit": township, "last_name": "基准乡镇经办"},
    )
    if created:
        staff.set_unusable_password()
        staff.save(update_fields=["password"])
    return staff


def valid_number(pk: int, birth_date) -> str:
    """Unique by the retiree's id: '36' + 4 digits and 3 digits of the id around the birth date. The build's
    numbers are '36' followed by zeros, so none of these collide with them."""
    first17 = f"36{pk // 1000 % 10000:04d}{birth_date:%Y%m%d}{pk % 1000:03d}"
    return first17 + check_character(first17)


def draw(township_id: int, year: int, people: int) -> list[tuple[int, str]]:
    """The people to scan: random, active, of the township, not certified for the year; with valid numbers."""
    with connection.cursor() as cursor:
        cursor.execute(PICK, {"township": township_id, "year": year, "people": people})
        rows = cursor.fetchall()
    today = timezone.localdate()
    drawn, fixes = [], []
    for pk, birth_date, number in rows:
        try:
            parse_resident_id(number, today=today)
        except ValidationError:
            number = valid_number(pk, birth_date)
            fixes.append((pk, number))
        drawn.append((pk, number))
    if fixes:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE registry_retiree SET id_number = %s WHERE id = %s", [(n, pk) for pk, n in fixes]
            )
    return drawn


def figures(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return (
        f"{label:<22}p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms   max {ordered[-1]:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the certifications made")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if not Retiree.objects.exists():
        from bench.payout_plan import build

        print(f"building {RETIREES:,} retirees in {connection.settings_dict['NAME']} …")
        build(RETIREES)
    staff = officer()
    year = timezone.localdate().year
    people = draw(staff.org_unit_id, year, args.people)
    in_township = Retiree.objects.filter(community__parent_id=staff.org_unit_id).count()
    print(
        f"database {connection.settings_dict['NAME']}: {Retiree.objects.count():,} retirees, "
        f"{in_township:,} in {staff.org_unit}; {len(people)} people to certify for {year} as {staff.username}"
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    # Warm up: the first requests load templates, translations and URL patterns.
    for _pk, number in people[:10]:
        assert client.get(LOOKUP, {"id_number": number}, headers=HTMX).status_code == 200

    lookups: list[float] = []
    certifies: list[float] = []
    queries: dict[str, int] = {}
    started_all = timezone.now()
    for index, (pk, number) in enumerate(people):
        # One pair is run with its SQL captured (not timed apart): capturing slows every statement a little.
        capture = index == len(people) // 2
        lookup_sql = CaptureQueriesContext(connection) if capture else contextlib.nullcontext()
        with lookup_sql:
            started = time.perf_counter()
            card = client.get(LOOKUP, {"id_number": number}, headers=HTMX)
            lookups.append((time.perf_counter() - started) * 1000)
        assert card.status_code == 200 and b'id="entry-certify-button"' in card.content, (
            number,
            card.status_code,
        )
        certify_sql = CaptureQueriesContext(connection) if capture else contextlib.nullcontext()
        with certify_sql:
            started = time.perf_counter()
            saved = client.post(CERTIFY, {"retiree": pk, "channel": "in_person"}, headers=HTMX)
            certifies.append((time.perf_counter() - started) * 1000)
        assert saved.status_code == 200 and "已认证".encode() in saved.content, (number, saved.status_code)
        if isinstance(lookup_sql, CaptureQueriesContext) and isinstance(certify_sql, CaptureQueriesContext):
            queries = {"lookup": len(lookup_sql), "certify": len(certify_sql)}

    made = Certification.objects.filter(recorded_by=staff, year=year, recorded_at__gte=started_all)
    assert made.count() == len(people)
    print()
    print(figures("lookup (scan → card)", lookups))
    print(figures("certify (→ saved)", certifies))
    print(figures("scan-to-saved", [a + b for a, b in zip(lookups, certifies, strict=True)]))
    print(f"SQL statements per request: lookup {queries['lookup']}, certify {queries['certify']}")
    if not args.keep:
        deleted, _ = made.delete()
        print(f"deleted the {deleted} certifications made")


if __name__ == "__main__":
    main()
