"""The printed list of who is still missing (未认证人员名单) for a unit and year, taken on home visits: one A4
landscape PDF for the whole unit, grouped by community with a header per community and a blank column for
the visit's outcome and signature; and the same list as xlsx (docs/certification-progress.md).

ID numbers are masked unless the caller passes full ExportNumbers (a role with VIEW_SENSITIVE that stated a
purpose: registry.services.sensitive_export_numbers; township staff never can, they have the person and the ID
card in front of them); the view records each full file (docs/personal-data.md). Every export is also logged
to the "certification.exports" logger with the user, the unit, the year, the row count and whether numbers
were full.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from registry.id_numbers import mask_resident_id
from registry.models import OrgUnit, Retiree, Staff
from registry.pdfs.rendering import css_string, render_pdf
from registry.selectors import county_name
from registry.selectors.exports import xlsx_table
from registry.services.sensitive import MASKED, ExportNumbers

from ..selectors.progress import age_on, missing_retirees

logger = logging.getLogger("certification.exports")

# A long list is printed by the worker (docs/exports.md: certification.missing_pdf, over
# settings.EXPORT_INLINE_MAX_PDF_ROWS people), so there is no cap on the people in one PDF: 1,003 people
# (68 pages) took 11 s on the 2-core test machine, a county-wide list minutes.


@dataclass(frozen=True)
class MissingRow:
    township: str
    community: str
    name: str
    sex: str
    age: int
    id_number: str  # full or masked, by the role
    address: str
    phone: str
    agent: str  # "name(relation) phone", or ""
    last_certified_on: datetime.date | None
    status: str


@dataclass(frozen=True)
class CommunityGroup:
    township: str
    community: str
    rows: list[MissingRow]


def address_of(retiree: Retiree) -> str:
    """Where to find the person: the remote address for remote residents, else the local one."""
    if retiree.residence == Retiree.Residence.REMOTE:
        return "".join([retiree.remote_province, retiree.remote_city, retiree.remote_address])
    return retiree.address


def _agent(retiree: Retiree) -> str:
    name = getattr(retiree, "agent_name", None)
    if not name:
        return ""
    text = f"{name}({retiree.agent_relation})"  # type: ignore[attr-defined]  # annotated
    phone = getattr(retiree, "agent_phone", "")
    return f"{text} {phone}" if phone else text


def missing_rows(
    *,
    user: Staff,
    year: int,
    unit: OrgUnit,
    today: datetime.date,
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[MissingRow]:
    """The people still missing, in print order. `progress(done, total)` (a background export) is called
    for every person, after counting them first."""
    full_numbers = numbers.full
    missing = missing_retirees(user=user, year=year, unit=unit, today=today)
    total = missing.count() if progress is not None else 0
    for done, retiree in enumerate(missing.iterator(chunk_size=2000), start=1):
        if progress is not None:
            progress(done, max(total, done))
        community = retiree.community
        yield MissingRow(
            township=community.parent.name if community.parent else "",
            community=community.name,
            name=retiree.name,
            sex=retiree.get_sex_display(),
            age=age_on(retiree.birth_date, today),
            id_number=retiree.id_number if full_numbers else mask_resident_id(retiree.id_number),
            address=address_of(retiree),
            phone=retiree.phone,
            agent=_agent(retiree),
            last_certified_on=retiree.last_certified_on,  # type: ignore[attr-defined]  # annotated
            status=retiree.get_status_display(),
        )


def _log(*, kind: str, user: Staff, unit: OrgUnit, year: int, rows: int, full_numbers: bool) -> None:
    logger.info(
        "missing list exported (%s): user=%s (id %s) unit=%s (id %s) year=%s rows=%d full_numbers=%s",
        kind,
        user.username,
        user.pk,
        unit.name,
        unit.pk,
        year,
        rows,
        full_numbers,
    )


@dataclass(frozen=True)
class MissingPdf:
    pdf: bytes
    count: int  # people printed: what a download with full numbers records


def missing_pdf(
    *, user: Staff, year: int, unit: OrgUnit, today: datetime.date, numbers: ExportNumbers = MASKED
) -> bytes:
    """The whole unit's list as one PDF (WeasyPrint embeds the font subset once per file)."""
    return missing_pdf_counted(user=user, year=year, unit=unit, today=today, numbers=numbers).pdf


def missing_pdf_counted(
    *,
    user: Staff,
    year: int,
    unit: OrgUnit,
    today: datetime.date,
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
    laying_out: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> MissingPdf:
    """missing_pdf with the number of people it printed. `progress` is told as the rows are read;
    `laying_out()` wraps WeasyPrint's layout, which reports nothing (the worker beats from a side thread)."""
    groups: list[CommunityGroup] = []
    for row in missing_rows(user=user, year=year, unit=unit, today=today, numbers=numbers, progress=progress):
        if not groups or (groups[-1].township, groups[-1].community) != (row.township, row.community):
            groups.append(CommunityGroup(township=row.township, community=row.community, rows=[]))
        groups[-1].rows.append(row)
    printed_rows = sum(len(group.rows) for group in groups)
    title = _("%(year)s年度领取养老金资格未认证人员名单") % {"year": year}
    printed = _("打印日期:%(date)s") % {"date": today.strftime("%Y-%m-%d")}
    running = {"title": f"{unit.name} · {title}", "printed": printed}
    css = {key: css_string(value) for key, value in running.items()}
    with laying_out():
        pdf = render_pdf(
            template="certification/missing_pdf.html",
            context={
                "title": title,
                "issuer": county_name(),
                "unit": unit,
                "year": year,
                "printed": printed,
                "groups": groups,
                "count": printed_rows,
                "css": css,
            },
        )
    _log(kind="pdf", user=user, unit=unit, year=year, rows=printed_rows, full_numbers=numbers.full)
    return MissingPdf(pdf=pdf, count=printed_rows)


def _headers() -> list[str]:
    return [
        _("乡镇(街道)"),
        _("社区(村居)"),
        _("姓名"),
        _("性别"),
        _("年龄"),
        _("身份证号码"),
        _("住址"),
        _("联系电话"),
        _("代办人"),
        _("上次认证日期"),
        _("状态"),
    ]


_WIDTHS = (12, 14, 10, 6, 6, 22, 32, 16, 24, 14, 10)
_TEXT_COLUMNS = frozenset({5, 7})  # ID and phone: digits that are not numbers


def missing_xlsx(
    *,
    user: Staff,
    year: int,
    unit: OrgUnit,
    today: datetime.date,
    target: IO[bytes],
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the list as xlsx to `target`; returns the number of people written."""
    rows = xlsx_table(
        target=target,
        title=_("未认证人员"),
        headers=_headers(),
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=(
            [
                row.township,
                row.community,
                row.name,
                row.sex,
                row.age,
                row.id_number,
                row.address,
                row.phone,
                row.agent,
                row.last_certified_on,
                row.status,
            ]
            for row in missing_rows(
                user=user, year=year, unit=unit, today=today, numbers=numbers, progress=progress
            )
        ),
    )
    _log(kind="xlsx", user=user, unit=unit, year=year, rows=rows, full_numbers=numbers.full)
    return rows


def missing_filename(*, unit: OrgUnit, year: int, extension: str) -> str:
    values = {"unit": unit.name, "year": year, "ext": extension}
    return _("%(unit)s-%(year)s年度未认证人员名单.%(ext)s") % values
