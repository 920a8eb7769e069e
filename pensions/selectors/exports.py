"""A plan's lines as an xlsx file: the same filters as the detail page, written row by row by registry.xlsx.

Written by registry.selectors.exports.xlsx_table (IDs as text, formula escaping). ID and account numbers are
masked unless the caller passes full ExportNumbers (a role with VIEW_SENSITIVE that stated a purpose, decided
by registry.services.sensitive_export_numbers); the view records each full file (docs/personal-data.md).
Every export is also logged to the "pensions.exports" logger with the user, the plan, the filters, the row
count and whether numbers were full.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import IO, Any

from django.utils.translation import gettext as _

from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import Staff
from registry.selectors.exports import xlsx_table
from registry.services.sensitive import MASKED, ExportNumbers

from .. import selectors
from ..models import PayoutLine, PayoutPlan

logger = logging.getLogger("pensions.exports")

_WIDTHS = (8, 10, 22, 12, 14, 20, 24, 10, 12, 12, 12, 12, 12, 10, 10, 20)
# ID and account: digits that are not numbers.
_TEXT_COLUMNS = frozenset({2, 6})


def _headers() -> list[str]:
    return [
        _("序号"),
        _("姓名"),
        _("身份证号码"),
        _("乡镇(街道)"),
        _("社区(村居)"),
        _("银行"),
        _("账号/存折号"),
        _("户名"),
        _("按月发放"),
        _("补发"),
        _("扣回"),
        _("暂停发放金额"),
        _("实发"),
        _("暂停发放"),
        _("发放结果"),
        _("银行反馈"),
    ]


def _row(line: PayoutLine, *, full_numbers: bool) -> list[Any]:
    account = line.account_number
    return [
        line.pk,
        line.name,
        line.id_number if full_numbers else mask_resident_id(line.id_number),
        line.township.name,
        line.community.name,
        line.bank.name if line.bank else "",
        (account if full_numbers else mask_account_number(account)) if account else "",
        line.holder_name,
        line.regular,
        line.arrears,
        line.deduction,
        line.withheld,
        line.net,
        _("是") if line.is_withheld else "",
        line.get_payment_status_display(),
        line.bank_reason,
    ]


def _counted(row: list[Any], done: int, total: int, progress: Callable[[int, int], None] | None) -> list[Any]:
    if progress is not None:
        progress(done, max(total, done))
    return row


def plan_lines_xlsx(
    *,
    user: Staff,
    plan: PayoutPlan,
    filters: selectors.LineFilters,
    target: IO[bytes],
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the plan's filtered lines to `target`; returns the number of lines written. `progress(done,
    total)` (a background export) is told for every line, after counting them."""
    full_numbers = numbers.full
    lines = selectors.plan_lines(plan=plan, filters=filters)
    total = lines.count() if progress is not None else 0
    rows = xlsx_table(
        target=target,
        title=_("%(month)s 发放明细") % {"month": plan.month},
        headers=_headers(),
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=(
            _counted(_row(line, full_numbers=full_numbers), done, total, progress)
            for done, line in enumerate(lines.iterator(chunk_size=2000), start=1)
        ),
    )
    logger.info(
        "payout lines exported: user=%s (id %s) plan=%s rows=%d full_numbers=%s filters=%s",
        user.username,
        user.pk,
        plan.pk,
        rows,
        full_numbers,
        {key: value for key, value in dataclasses.asdict(filters).items() if value not in ("", None, False)},
    )
    return rows
