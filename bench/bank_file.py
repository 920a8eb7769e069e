"""Render a PSBC fixed-width GBK bank file of synthetic lines in pure Python and print rows/s.

Text profiles go through the Python writer kept as the tests' oracle (the export renders them in PostgreSQL:
bench/bank_file_export.py); xlsx profiles through the production writer.

Usage: .venv/bin/python bench/bank_file.py [--lines 1000000] [--rounds 3] [--profile psbc]
No database: the lines are built in memory first (not timed). The comparison with PostgreSQL's COPY of the
same rows belongs to the plan benchmark, which reads the lines from the database.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import time
from decimal import Decimal

from benchdb import set_up_django

set_up_django()

from pensions.bankfiles import (  # noqa: E402
    PaymentLine,
    RenderContext,
    parse_return_file,
    payment_reference,
    render_return_file,
    shipped_profile,
)
from tests.pensions.bankfiles.reference_text_renderer import render_bank_file  # noqa: E402

SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
GIVEN = "建国秀兰桂英志强玉梅德明淑珍文华红梅海燕国庆丽娟永福金凤春生凤英长青"


def synthetic_lines(count: int) -> list[PaymentLine]:
    rng = random.Random(20261125)
    lines = []
    for number in range(1, count + 1):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        lines.append(
            PaymentLine(
                reference=payment_reference(plan_id=202611, line_id=number),
                name=name,
                id_number=f"3607211950{number % 10000:04d}{number % 10000:04d}",
                account_number=f"621799{number:010d}",
                amount=Decimal(rng.randint(150_000, 650_000)) / 100,
                township="城关镇",
            )
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="psbc")
    parser.add_argument("--returns", action="store_true", help="also time reading an all-success return file")
    args = parser.parse_args()
    profile = shipped_profile(args.profile)
    context = RenderContext(
        county_code="360721", month="202611", date=datetime.date(2026, 11, 10), batch="P202611"
    )

    started = time.perf_counter()
    lines = synthetic_lines(args.lines)
    print(f"built {len(lines):,} lines in {time.perf_counter() - started:.1f} s (not timed below)")

    timings = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        rendered = render_bank_file(profile, lines, context=context)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(
        f"render {profile.code} ({profile.layout}, {profile.encoding}): {len(lines):,} lines, "
        f"{len(rendered.content) / 1e6:.1f} MB, median {median:.2f} s of {args.rounds} "
        f"-> {len(lines) / median:,.0f} rows/s"
    )
    if args.returns:
        returned = render_return_file(profile, lines, context=context)
        started = time.perf_counter()
        parsed = parse_return_file(profile, returned.content)
        elapsed = time.perf_counter() - started
        print(
            f"parse return file: {len(parsed.lines):,} lines in {elapsed:.2f} s "
            f"-> {len(parsed.lines) / elapsed:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
