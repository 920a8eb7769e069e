"""The upload file of a remote batch for the national remote retiree system (人社部异地退管系统): one row
per member, the columns in docs/remote-residents.md. As xlsx (IDs as text, registry.selectors.exports) or
as CSV in GB18030, which is byte for byte GBK for every character GBK has and still encodes the rare name
characters GBK lacks (docs/technical-notes.md, "Chinese text") instead of replacing them.

Full ID numbers: only for roles with VIEW_SENSITIVE (the views and remote_export_record check it, and record
who took them out)."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator, Sequence
from typing import IO

from django.utils.translation import gettext as _

from registry.models import OrgUnit, Staff
from registry.selectors.exports import xlsx_table

from ..models import RemoteBatch
from ..pdfs.remote_forms import return_address
from ..selectors.remote import remote_upload_rows

CSV_ENCODING = "gb18030"
Value = str | int | datetime.date | None


def headers() -> list[str]:
    return [
        _("序号"),
        _("姓名"),
        _("性别"),
        _("公民身份号码"),
        _("出生日期"),
        _("退休时间"),
        _("参保地行政区划代码"),
        _("待遇发放机构"),
        _("居住地省份"),
        _("居住地城市"),
        _("居住地详细地址"),
        _("联系电话"),
        _("待遇状态"),
        _("上次认证日期"),
    ]


_WIDTHS = (6, 10, 6, 22, 12, 12, 12, 20, 10, 12, 36, 16, 10, 12)
_TEXT_COLUMNS = frozenset({3, 6, 11})  # ID, area code, phone: digits that are not numbers


def _county() -> OrgUnit | None:
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()


def rows(*, user: Staff, batch: RemoteBatch) -> Iterator[list[Value]]:
    """The file's rows in batch order, numbered from 1, for the members in the user's scope."""
    county = _county()
    area_code = county.code if county else ""
    bureau = return_address().bureau
    members = remote_upload_rows(user=user, batch=batch)
    for number, member in enumerate(members.iterator(chunk_size=2000), start=1):
        retiree = member.retiree
        yield [
            number,
            member.name,
            retiree.get_sex_display(),
            retiree.id_number,
            retiree.birth_date,
            retiree.retirement_date,
            area_code,
            bureau,
            member.remote_province,
            member.remote_city,
            member.remote_address,
            member.phone,
            retiree.get_status_display(),
            member.last_certified_on,  # type: ignore[attr-defined]  # annotated by the selector
        ]


def _reported(
    *, user: Staff, batch: RemoteBatch, progress: Callable[[int, int], None] | None
) -> Iterator[list[Value]]:
    """The rows, reporting (done, total) as they go when a background export asks (counted first)."""
    if progress is None:
        yield from rows(user=user, batch=batch)
        return
    total = remote_upload_rows(user=user, batch=batch).count()
    for done, values in enumerate(rows(user=user, batch=batch), start=1):
        progress(done, total)
        yield values


def upload_xlsx(
    *, user: Staff, batch: RemoteBatch, target: IO[bytes], progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the upload file as xlsx to `target`; returns the number of members written."""
    return xlsx_table(
        target=target,
        title=_("异地居住人员"),
        headers=headers(),
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=_reported(user=user, batch=batch, progress=progress),
    )


def _csv_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def upload_csv(
    *, user: Staff, batch: RemoteBatch, target: IO[bytes], progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the upload file as CSV (GB18030, CRLF, a header row) to `target`; returns the members written.
    Values are written as they are, for the national system to read: open the xlsx to look at it in Excel."""
    text = io.TextIOWrapper(target, encoding=CSV_ENCODING, errors="strict", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headers())
    count = 0
    for values in _reported(user=user, batch=batch, progress=progress):
        row: Sequence[str] = [_csv_text(value) for value in values]
        writer.writerow(row)
        count += 1
    text.flush()
    text.detach()
    return count


def remote_upload_filename(batch: RemoteBatch, fmt: str) -> str:
    return _("异地退管系统上传-%(year)s-%(pk)s.%(fmt)s") % {"year": batch.year, "pk": batch.pk, "fmt": fmt}
