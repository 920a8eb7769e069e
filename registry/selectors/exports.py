"""The retiree list as an xlsx file: the same search, filters and scope as the list page.

Written by registry.xlsx (xlsxwriter, constant memory), in chunks of retirees, so a county-wide export keeps
memory flat.

Formula injection: a text cell is a string cell, never a formula, and a text starting with = + - @ or a tab or
carriage return also gets Excel's quote prefix (the apostrophe a clerk types before such text), so that
editing the cell and pressing Enter does not turn it into a formula either. A literal apostrophe would stay
visible in an xlsx file; the quote prefix is how xlsx stores it. ID and account numbers are text cells with
the text format "@", never numbers (Excel keeps 15 significant digits).

Numbers are masked unless the caller passes full ExportNumbers, which only registry.services.
sensitive_export_numbers makes (a role with VIEW_SENSITIVE that stated a purpose); the view records each full
file with sensitive_export_record (docs/personal-data.md). Every export is also logged to the
"registry.selectors.exports" logger with the user, the filters, the row count and whether numbers were full.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from django.utils.translation import gettext as _

from .. import selectors
from ..id_numbers import mask_account_number, mask_resident_id
from ..models import Retiree, Staff
from ..services.sensitive import MASKED, ExportNumbers
from ..xlsx import FORMULA_TRIGGERS, XLSX_CONTENT_TYPE, Value, xlsx_table

logger = logging.getLogger("registry.selectors.exports")

CHUNK = 2000
# xlsx_table, XLSX_CONTENT_TYPE and FORMULA_TRIGGERS live in registry.xlsx; imported here for the callers that
# always found them in this module.
__all__ = ["CHUNK", "FORMULA_TRIGGERS", "XLSX_CONTENT_TYPE", "Value", "retiree_list_xlsx", "xlsx_table"]


def _headers() -> list[str]:
    return [
        _("姓名"),
        _("身份证号码"),
        _("性别"),
        _("出生日期"),
        _("乡镇(街道)"),
        _("社区(村居)"),
        _("居住类型"),
        _("异地居住地址"),
        _("状态"),
        _("待遇证号"),
        _("发放银行"),
        _("银行账号"),
        _("月养老金(元)"),
        _("联系电话"),
        _("退休时间"),
    ]


_WIDTHS = (10, 22, 6, 12, 12, 14, 10, 30, 10, 20, 20, 24, 14, 16, 12)
_TEXT_COLUMNS = frozenset({1, 9, 11, 13})  # ID, certificate, account, phone: digits that are not numbers


def _row(retiree: Retiree, *, full_numbers: bool) -> list[Value]:
    account = getattr(retiree, "current_account_number", None) or ""
    remote = "".join([retiree.remote_province, retiree.remote_city, retiree.remote_address])
    return [
        retiree.name,
        retiree.id_number if full_numbers else mask_resident_id(retiree.id_number),
        retiree.get_sex_display(),
        retiree.birth_date,
        retiree.community.parent.name if retiree.community.parent else "",
        retiree.community.name,
        retiree.get_residence_display(),
        remote,
        retiree.get_status_display(),
        retiree.certificate_number or "",
        getattr(retiree, "current_bank_name", None) or "",
        (account if full_numbers else mask_account_number(account)) if account else "",
        getattr(retiree, "current_amount", None),
        retiree.phone,
        retiree.retirement_date,
    ]


def _retirees(ids: Iterable[int]) -> Iterator[Retiree]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) == CHUNK:
            yield from selectors.retirees_in_order(chunk)
            chunk = []
    if chunk:
        yield from selectors.retirees_in_order(chunk)


def _counted(ids: list[int], progress: Callable[[int, int], None]) -> Iterator[int]:
    total = len(ids)
    for done, pk in enumerate(ids, start=1):
        yield pk
        progress(done, total)
    if not ids:
        progress(0, 0)


def retiree_list_xlsx(
    *,
    user: Staff,
    filters: selectors.RetireeFilters,
    target: IO[bytes],
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the filtered list as xlsx to `target`; returns the number of retirees written. With
    `progress(done, total)` (a background export) the ids are read first, so the total is known."""
    full_numbers = numbers.full
    search = selectors.retiree_search(user=user, filters=filters)
    ids: Iterable[int] = search.all_ids()
    if progress is not None:
        ids = _counted(list(ids), progress)
    rows = xlsx_table(
        target=target,
        title=_("退休人员"),
        headers=_headers(),
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=(_row(retiree, full_numbers=full_numbers) for retiree in _retirees(ids)),
    )
    logger.info(
        "retiree list exported: user=%s (id %s) rows=%d full_numbers=%s filters=%s",
        user.username,
        user.pk,
        rows,
        full_numbers,
        {key: value for key, value in dataclasses.asdict(filters).items() if value not in ("", None)},
    )
    return rows
