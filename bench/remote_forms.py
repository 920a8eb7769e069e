"""The combined remote forms PDF (《异地居住人员领取社会保险待遇资格协助认证表》) for 1,000 members: pages/s.

Usage: .venv/bin/python bench/remote_forms.py [--members 1000] [--rounds 3] [--out var/bench/remote-forms.pdf]

Renders through certification.pdfs.remote_forms.forms_pdf, the function the Celery task runs after reading the
batch (reading 1,000 members from PostgreSQL takes milliseconds and is left out, so no database is needed):
one template render and one WeasyPrint run for the whole batch. The forms get distinct names, ID numbers and
addresses of realistic length so the embedded font subset is as large as a real batch's. Prints each round,
the median, pages/s and the file size.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from pathlib import Path

from benchdb import ROOT, set_up_django

set_up_django()

from django.template.loader import render_to_string  # noqa: E402

from certification.models import Campaign, RemoteBatch  # noqa: E402
from certification.pdfs.remote_forms import Form, ReturnAddress, forms_context, forms_pdf  # noqa: E402
from registry.id_numbers import check_character  # noqa: E402

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜欧阳司马上官诸葛"
GIVEN = "建国秀英志强桂芳玉兰德胜丽萍文华红梅立新国华秀珍明辉淑贞永福海燕春生"
PLACES = [
    ("海南省", "海口市", "龙华区滨海大道{n}号金海花园{b}栋{u}单元{r}室"),
    ("广东省", "深圳市", "南山区科技园南区高新南七道{n}号{b}栋{r}室"),
    ("浙江省", "杭州市", "西湖区文三路{n}号{b}幢{u}单元{r}室"),
    ("江苏省", "苏州市", "姑苏区干将西路{n}号{b}栋{r}室"),
    ("上海市", "上海市", "浦东新区张杨路{n}弄{b}号{r}室"),
]


def make_forms(count: int) -> list[Form]:
    forms = []
    for index in range(count):
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=index * 7 % 8000)
        first17 = f"360721{birth:%Y%m%d}{index % 1000:03d}"
        province, city, pattern = PLACES[index % len(PLACES)]
        surname = SURNAMES[index % len(SURNAMES)]
        given = GIVEN[(index * 3) % len(GIVEN)] + GIVEN[(index * 7 + 1) % len(GIVEN)]
        forms.append(
            Form(
                number=f"2026-1-{index + 1:04d}",
                name=surname + given,
                sex="男" if index % 2 else "女",
                id_number=first17 + check_character(first17),
                birth_date=birth,
                retirement_date=datetime.date(birth.year + 60, birth.month, 1),
                employer=f"示范县第{index % 40 + 1}机械制造厂",
                province=province,
                city=city,
                address=pattern.format(
                    n=index % 300 + 1, b=index % 30 + 1, u=index % 4 + 1, r=1000 + index % 900
                ),
                phone=f"138{index:08d}",
            )
        )
    return forms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "remote-forms.pdf")
    args = parser.parse_args()

    batch = RemoteBatch(pk=1, year=2026, member_count=args.members)
    campaign = Campaign(year=2026, **Campaign.default_dates(2026))
    sender = ReturnAddress(
        bureau="示范县社会保险事业管理局", address="示范县城关镇人民路8号", phone="0797-1234567"
    )
    forms = make_forms(args.members)

    started = time.perf_counter()
    render_to_string(
        "certification/remote/forms_pdf.html",
        forms_context(batch=batch, campaign=campaign, forms=forms, sender=sender),
    )
    print(f"template only: {time.perf_counter() - started:.2f} s")
    times = []
    pdf = b""
    for round_number in range(1, args.rounds + 1):
        started = time.perf_counter()
        pdf = forms_pdf(batch=batch, campaign=campaign, forms=forms, sender=sender)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        print(f"round {round_number}: {elapsed:.2f} s ({args.members / elapsed:.1f} pages/s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    median = statistics.median(times)
    print(
        f"{args.members} forms, median {median:.2f} s, {args.members / median:.1f} pages/s, "
        f"{len(pdf) / 1_000_000:.2f} MB ({len(pdf) / args.members / 1000:.1f} kB per page) -> {args.out}"
    )


if __name__ == "__main__":
    main()
