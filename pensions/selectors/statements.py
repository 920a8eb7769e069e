"""The enquiry statement (待遇查询单, seed 000 §6): what one retiree was due and paid over a period.

A retiree who doubts their pension comes to the bureau (or the township office) with their ID card or benefit
certificate; the clerk prints this statement of their rates, the monthly payout lines, the arrears released
to them and the recoveries deducted from them. Every figure is read from the payout lines and the ledger rows
that hang on them, and the period's totals are the sums of the month rows shown (docs/domain.md "Money
rules").

`retiree_statement` assembles it as frozen dataclasses; pensions.pdfs.statement renders it
(docs/statements.md).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.id_numbers import mask_account_number
from registry.models import ArrearsItem, BankAccount, PensionRate, Recovery, Retiree, Staff
from registry.months import PensionMonth
from registry.selectors import county_name
from registry.selectors.changes import as_month, entitlement_months, rate_in_force

from ..models import PayoutLine, PayoutPlan, RecoveryDeduction
from ..selectors.recoveries import recoveries_with_balance

# The longest period one statement covers: ten years of months. Longer enquiries are printed in parts.
MAX_PERIOD_MONTHS = 120
# The period printed when none is asked for: the last twelve months, this one included.
DEFAULT_PERIOD_MONTHS = 12

ZERO = Decimal("0.00")
LineStatus = PayoutLine.PaymentStatus
PlanStatus = PayoutPlan.Status


class StatementError(DomainError):
    """The statement's period was refused: unreadable, reversed or too long."""


# The statement ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    name: str
    sex: str
    masked_id_number: str
    certificate_number: str
    township: str
    community: str
    status: str
    retirement_date: datetime.date
    entitled_from: PensionMonth  # the month after retirement: the first month a pension is due
    bank: str
    masked_account: str


@dataclass(frozen=True)
class RateRow:
    effective_month: PensionMonth
    amount: Decimal
    reason: str
    note: str
    # The months of the period this rate was in force for; both None when it governs none of them.
    period_from: PensionMonth | None
    period_to: PensionMonth | None

    @property
    def in_force_in_period(self) -> bool:
        return self.period_from is not None


@dataclass(frozen=True)
class MonthRow:
    """One month of the period: its payout line, or why there is none (`has_line` False, amounts None)."""

    month: PensionMonth
    rate: Decimal | None  # the rate in force for the month by today's rate history
    has_line: bool
    is_withheld: bool
    regular: Decimal | None
    arrears: Decimal | None
    deduction: Decimal | None
    withheld: Decimal | None
    net: Decimal | None
    status: str  # the payment result as the retiree reads it (已到账, 发放失败, 暂停发放, …)
    note: str  # the bank's reason for a failure, or why there is no line
    payment_status: str  # PayoutLine.PaymentStatus value; "" without a line


@dataclass(frozen=True)
class ArrearsRow:
    month: PensionMonth
    amount: Decimal
    reason: str
    note: str
    released_into: PensionMonth | None  # the plan month that paid it; None while it waits for a plan


@dataclass(frozen=True)
class DeductionRow:
    month: PensionMonth  # the plan month whose line deducted it
    amount: Decimal


@dataclass(frozen=True)
class RecoveryRow:
    from_month: PensionMonth
    to_month: PensionMonth
    amount: Decimal
    reason: str
    status: str
    note: str
    deductions: tuple[DeductionRow, ...]
    deducted: Decimal  # everything deducted so far, in or out of the period
    balance: Decimal  # amount less deducted, refunded and written off (pensions.selectors.recoveries)


@dataclass(frozen=True)
class Totals:
    """The period's sums of the month rows shown (months without a line add nothing)."""

    line_count: int
    regular: Decimal
    arrears: Decimal
    deduction: Decimal
    withheld: Decimal
    net: Decimal
    paid: Decimal  # net of the lines the bank confirmed (已到账)
    failed: Decimal  # net of the lines the bank returned (发放失败); re-issued later as arrears
    pending: Decimal  # net of the lines still waiting for the bank's answer; paid + failed + pending = net


@dataclass(frozen=True)
class Statement:
    retiree_id: int
    identity: Identity
    from_month: PensionMonth
    to_month: PensionMonth
    rates: tuple[RateRow, ...]
    months: tuple[MonthRow, ...]
    totals: Totals
    arrears: tuple[ArrearsRow, ...]
    arrears_total: Decimal
    recoveries: tuple[RecoveryRow, ...]
    issuer: str
    printed_at: datetime.datetime
    printed_by: str

    @property
    def month_count(self) -> int:
        return self.from_month.months_until(self.to_month) + 1


# The period ------------------------------------------------------------------------------------------------


def default_period(today: datetime.date | None = None) -> tuple[PensionMonth, PensionMonth]:
    """The last twelve months, this one included."""
    to_month = PensionMonth.of(today or timezone.localdate())
    return to_month.plus(1 - DEFAULT_PERIOD_MONTHS), to_month


def statement_period_check(*, from_month: PensionMonth, to_month: PensionMonth) -> None:
    if to_month < from_month:
        raise StatementError(
            _("查询起始月份 %(from)s 晚于截止月份 %(to)s。") % {"from": from_month, "to": to_month},
            field="from",
        )
    if from_month.months_until(to_month) + 1 > MAX_PERIOD_MONTHS:
        raise StatementError(
            _("一次最多查询 %(years)d 年(%(months)d 个月),请分段打印。")
            % {"years": MAX_PERIOD_MONTHS // 12, "months": MAX_PERIOD_MONTHS},
            field="to",
        )


def statement_period_parse(
    *, from_text: str | None, to_text: str | None, today: datetime.date | None = None
) -> tuple[PensionMonth, PensionMonth]:
    """The period from "2025-01"/"202501" texts, as a page or the API receives them. Both empty: the default
    period. One empty: twelve months from or up to the other."""
    default_from, default_to = default_period(today)
    from_text, to_text = (from_text or "").strip(), (to_text or "").strip()
    from_month = _parse_month(from_text, "from") if from_text else None
    to_month = _parse_month(to_text, "to") if to_text else None
    if from_month is None and to_month is None:
        from_month, to_month = default_from, default_to
    elif from_month is None:
        assert to_month is not None  # noqa: S101  # narrowed by the branch above
        from_month = to_month.plus(1 - DEFAULT_PERIOD_MONTHS)
    elif to_month is None:
        to_month = from_month.plus(DEFAULT_PERIOD_MONTHS - 1)
    statement_period_check(from_month=from_month, to_month=to_month)
    return from_month, to_month


def _parse_month(text: str, field: str) -> PensionMonth:
    try:
        return PensionMonth.parse(text)
    except ValueError:
        raise StatementError(
            _("请按“年-月”填写月份,例如 2026-04,而不是“%(text)s”。") % {"text": text[:20]}, field=field
        ) from None


# Assembling ------------------------------------------------------------------------------------------------


def retiree_statement(
    *, user: Staff, retiree_pk: int, from_month: PensionMonth, to_month: PensionMonth
) -> Statement:
    """The statement of one retiree the user may see (404 otherwise) for the months from…to, both included."""
    access.require(user, Action.VIEW_REGISTRY)
    statement_period_check(from_month=from_month, to_month=to_month)
    retiree: Retiree = access.get_visible_retiree_or_404(
        user, retiree_pk, Retiree.objects.select_related("community__parent")
    )
    months = [from_month.plus(i) for i in range(from_month.months_until(to_month) + 1)]
    rates = list(PensionRate.objects.filter(retiree=retiree).order_by("effective_month", "revision"))
    month_rows = _month_rows(retiree, months, rates)
    now = timezone.localtime()
    return Statement(
        retiree_id=retiree.pk,
        identity=_identity(retiree),
        from_month=from_month,
        to_month=to_month,
        rates=_rate_rows(rates, from_month, to_month),
        months=month_rows,
        totals=_totals(month_rows),
        arrears=(arrears := _arrears_rows(retiree, from_month, to_month)),
        arrears_total=sum((row.amount for row in arrears), ZERO),
        recoveries=_recovery_rows(retiree, from_month, to_month),
        issuer=county_name(),
        printed_at=now,
        printed_by=user.display_name,
    )


def _identity(retiree: Retiree) -> Identity:
    account = BankAccount.objects.filter(retiree=retiree, is_current=True).select_related("bank").first()
    community = retiree.community
    return Identity(
        name=retiree.name,
        sex=retiree.get_sex_display(),
        masked_id_number=retiree.masked_id_number,
        certificate_number=retiree.certificate_number or "",
        township=community.parent.name if community.parent else "",
        community=community.name,
        status=retiree.get_status_display(),
        retirement_date=retiree.retirement_date,
        entitled_from=entitlement_months(retiree)[0],
        bank=account.bank.name if account else "",
        masked_account=mask_account_number(account.account_number) if account else "",
    )


def _rate_rows(
    rates: list[PensionRate], from_month: PensionMonth, to_month: PensionMonth
) -> tuple[RateRow, ...]:
    rows = []
    for index, rate in enumerate(rates):
        effective = as_month(rate.effective_month)
        following = as_month(rates[index + 1].effective_month) if index + 1 < len(rates) else None
        last_in_force = following.plus(-1) if following else to_month
        start, end = max(effective, from_month), min(last_in_force, to_month)
        in_period = start <= end
        rows.append(
            RateRow(
                effective_month=effective,
                amount=rate.amount,
                reason=rate.get_reason_display(),
                note=rate.note,
                period_from=start if in_period else None,
                period_to=end if in_period else None,
            )
        )
    return tuple(rows)


def _month_rows(
    retiree: Retiree, months: list[PensionMonth], rates: list[PensionRate]
) -> tuple[MonthRow, ...]:
    first, last = months[0], months[-1]
    lines = {
        as_month(line.plan.month): line
        for line in PayoutLine.objects.filter(
            retiree=retiree, plan__month__gte=first, plan__month__lte=last
        ).select_related("plan")
    }
    plans = {
        as_month(month): status
        for month, status in PayoutPlan.objects.filter(month__gte=first, month__lte=last).values_list(
            "month", "status"
        )
    }
    rows = []
    for month in months:
        rate = rate_in_force(rates, month)
        line = lines.get(month)
        if line is None:
            rows.append(
                MonthRow(
                    month=month,
                    rate=rate.amount if rate else None,
                    has_line=False,
                    is_withheld=False,
                    regular=None,
                    arrears=None,
                    deduction=None,
                    withheld=None,
                    net=None,
                    status=_("无发放"),
                    note=_why_no_line(retiree, month, rate, plan_status=plans.get(month)),
                    payment_status="",
                )
            )
            continue
        rows.append(
            MonthRow(
                month=month,
                rate=rate.amount if rate else None,
                has_line=True,
                is_withheld=line.is_withheld,
                regular=line.regular,
                arrears=line.arrears,
                deduction=line.deduction,
                withheld=line.withheld,
                net=line.net,
                status=_line_status(line),
                note=_line_note(line),
                payment_status=line.payment_status,
            )
        )
    return tuple(rows)


def _line_status(line: PayoutLine) -> str:
    if line.is_withheld:
        return _("暂停发放")
    if line.payment_status == LineStatus.PENDING and line.plan.status in (
        PlanStatus.DRAFT,
        PlanStatus.SUBMITTED,
    ):
        return _("计划未审批")
    return str(LineStatus(line.payment_status).label)


def _line_note(line: PayoutLine) -> str:
    if line.is_withheld:
        return _("暂停发放,恢复后补发")
    if line.payment_status == LineStatus.FAILED:
        return line.bank_reason or _("银行退回")
    return line.bank_reason


def _why_no_line(
    retiree: Retiree, month: PensionMonth, rate: PensionRate | None, *, plan_status: str | None
) -> str:
    entitled_from, last_due = entitlement_months(retiree)
    if month < entitled_from:
        return _("未到待遇领取时间")
    if last_due is not None and month > last_due:
        return _("死亡后月份,不再发放")
    if plan_status is None:
        return _("尚未编制发放计划")
    if retiree.regular_payment_from is not None and month < as_month(retiree.regular_payment_from):
        return _("登记前月份,以补发方式发放")
    if rate is None:
        return _("尚未核定养老金标准")
    if retiree.status == Retiree.Status.TERMINATED:
        return _("已终止发放")
    return _("未列入该月发放计划")


def _totals(rows: tuple[MonthRow, ...]) -> Totals:
    lines = [row for row in rows if row.has_line]

    def total(values: list[Decimal | None]) -> Decimal:
        return sum((value for value in values if value is not None), ZERO)

    return Totals(
        line_count=len(lines),
        regular=total([row.regular for row in lines]),
        arrears=total([row.arrears for row in lines]),
        deduction=total([row.deduction for row in lines]),
        withheld=total([row.withheld for row in lines]),
        net=total([row.net for row in lines]),
        paid=total([row.net for row in lines if row.payment_status == LineStatus.PAID]),
        failed=total([row.net for row in lines if row.payment_status == LineStatus.FAILED]),
        pending=total([row.net for row in lines if row.payment_status == LineStatus.PENDING]),
    )


def _arrears_rows(
    retiree: Retiree, from_month: PensionMonth, to_month: PensionMonth
) -> tuple[ArrearsRow, ...]:
    """Arrears owed for a month of the period, released into a plan of the period, or still waiting."""
    items = (
        ArrearsItem.objects.filter(retiree=retiree)
        .filter(
            Q(month__gte=from_month, month__lte=to_month)
            | Q(release__line__plan__month__gte=from_month, release__line__plan__month__lte=to_month)
            | Q(release__isnull=True)
        )
        .select_related("release__line__plan")
        .order_by("month", "id")
        .distinct()
    )
    rows = []
    for item in items:
        release = getattr(item, "release", None)
        rows.append(
            ArrearsRow(
                month=as_month(item.month),
                amount=item.amount,
                reason=item.get_reason_display(),
                note=item.note,
                released_into=as_month(release.line.plan.month) if release else None,
            )
        )
    return tuple(rows)


def _recovery_rows(
    retiree: Retiree, from_month: PensionMonth, to_month: PensionMonth
) -> tuple[RecoveryRow, ...]:
    """Recoveries for months of the period, deducted in the period, or still open."""
    recoveries: list[Any] = list(
        recoveries_with_balance(Recovery.objects.filter(retiree=retiree))
        .filter(
            Q(from_month__lte=to_month, to_month__gte=from_month)
            | Q(deductions__line__plan__month__gte=from_month, deductions__line__plan__month__lte=to_month)
            | Q(status=Recovery.Status.OPEN)
        )
        .distinct()
        .order_by("from_month", "created_at", "id")
    )
    deductions: dict[int, list[DeductionRow]] = defaultdict(list)
    for recovery_id, month, amount in (
        RecoveryDeduction.objects.filter(recovery__in=recoveries)
        .order_by("line__plan__month", "id")
        .values_list("recovery_id", "line__plan__month", "amount")
    ):
        deductions[recovery_id].append(DeductionRow(month=as_month(month), amount=amount))
    rows = []
    for recovery in recoveries:
        own = tuple(deductions[recovery.pk])
        rows.append(
            RecoveryRow(
                from_month=as_month(recovery.from_month),
                to_month=as_month(recovery.to_month),
                amount=recovery.amount,
                reason=recovery.get_reason_display(),
                status=recovery.get_status_display(),
                note=recovery.note,
                deductions=own,
                deducted=recovery.deducted,
                balance=recovery.balance,
            )
        )
    return tuple(rows)
