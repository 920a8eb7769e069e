"""Reads of information changes (maker-checker): who sees which requests, and the money a rate change
moves."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import access
from ..access import Action
from ..adjustments import PersonFacts, RateEntry, adjustments_recomputed
from ..id_numbers import mask_resident_id
from ..models import Bank, ChangeRequest, OrgUnit, PensionRate, Retiree, RetireeFlag, Staff
from ..months import PensionMonth, first_open_month

# The fields whose change recomputes the amount (零星调资, seed 000 §5).
AMOUNT_FIELDS = frozenset(
    {
        ChangeRequest.Field.BIRTH_DATE,
        ChangeRequest.Field.WORK_START_DATE,
        ChangeRequest.Field.CONTRIBUTION_MONTHS,
    }
)


def can_see_change_requests(user: Staff) -> bool:
    """Makers, checkers and auditors work with change requests; township staff do neither."""
    return any(
        access.can(user, action)
        for action in (Action.EDIT_REGISTRY, Action.APPROVE_CHANGES, Action.VIEW_AUDIT)
    )


def change_requests_visible_to(user: Staff) -> QuerySet[ChangeRequest]:
    """Every request for a retiree the user may see, for a role that works with requests."""
    if not can_see_change_requests(user):
        return ChangeRequest.objects.none()
    retirees = access.retirees_visible_to(user)
    return ChangeRequest.objects.filter(retiree__in=retirees).select_related(
        "retiree", "requested_by", "decided_by"
    )


def change_request_queue(*, user: Staff, status: str = "", field: str = "") -> QuerySet[ChangeRequest]:
    """The queue: checkers and auditors see every request in their scope, a clerk the ones they made.
    Pending first, then newest first."""
    requests = change_requests_visible_to(user)
    if not (access.can(user, Action.APPROVE_CHANGES) or access.can(user, Action.VIEW_AUDIT)):
        requests = requests.filter(requested_by=user)
    if status:
        requests = requests.filter(status=status)
    if field:
        requests = requests.filter(field=field)
    is_pending = Case(
        When(status=ChangeRequest.Status.PENDING, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return requests.alias(is_pending=is_pending).order_by("-is_pending", "-requested_at", "-id")


def change_requests_awaiting(*, user: Staff) -> QuerySet[ChangeRequest]:
    """What waits for this checker (the approvals inbox): pending requests in their scope that someone else
    made. The same rule change_request_approve enforces; none for a role that does not approve changes."""
    if not access.can(user, Action.APPROVE_CHANGES):
        return ChangeRequest.objects.none()
    return (
        change_requests_visible_to(user)
        .filter(status=ChangeRequest.Status.PENDING)
        .exclude(requested_by=user)
        .order_by("requested_at", "id")
    )


def change_request_for(*, user: Staff, pk: int) -> ChangeRequest:
    """One request the user may see, or ChangeRequest.DoesNotExist (views turn it into 404)."""
    return change_requests_visible_to(user).get(pk=pk)


# The money effect of a rate change ----------------------------------------------------------------------


@dataclass(frozen=True)
class MonthDifference:
    """One month already planned: what the person was due under the rates before the change, and after."""

    month: PensionMonth
    old_amount: Decimal
    new_amount: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new_amount - self.old_amount


@dataclass(frozen=True)
class RateToWrite:
    """A rate the approval adds: `revision` is the next free one of its month (rows are append-only)."""

    month: PensionMonth
    revision: int
    amount: Decimal
    reason: str
    note: str


@dataclass(frozen=True)
class RecomputedAdjustment:
    """An applied annual adjustment recomputed on the new base and the person's new facts: the rate in force
    at its month before (None when the person had none) and the one written now."""

    year: int
    month: PensionMonth
    old_amount: Decimal | None
    new_amount: Decimal
    rise: Decimal


@dataclass(frozen=True)
class RateChangeEffect:
    """What a new amount from `effective_month` means: the rates written (the new base and every applied
    annual adjustment from that month on, recomputed) and, for months already planned, the difference month
    by month between the schedule before and after. Rising months become one arrears item each, falling
    months one recovery for their total; both when some rise and others fall. No months when none has been
    planned yet."""

    effective_month: PensionMonth
    new_amount: Decimal
    first_open: PensionMonth
    months: tuple[MonthDifference, ...] = field(default=())
    adjustments: tuple[RecomputedAdjustment, ...] = field(default=())
    rates: tuple[RateToWrite, ...] = field(default=())
    # Months of an adjustment rate the person has from the effective month on that the recomputation gives
    # no rate for (no longer eligible, an exception now, or an adjustment this system did not apply): the
    # services refuse such a change rather than leave the old adjusted amount in force.
    unrecomputed: tuple[PensionMonth, ...] = field(default=())

    @property
    def rise_months(self) -> tuple[MonthDifference, ...]:
        return tuple(month for month in self.months if month.difference > 0)

    @property
    def fall_months(self) -> tuple[MonthDifference, ...]:
        return tuple(month for month in self.months if month.difference < 0)

    @property
    def arrears_total(self) -> Decimal:
        return sum((month.difference for month in self.rise_months), Decimal("0.00"))

    @property
    def recovery_total(self) -> Decimal:
        """What is owed back, as a positive amount."""
        return -sum((month.difference for month in self.fall_months), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.arrears_total - self.recovery_total

    @property
    def kind(self) -> str:
        """ "arrears", "recovery", "mixed" (some months rise, others fall) or "none"."""
        if self.rise_months and self.fall_months:
            return "mixed"
        if self.rise_months:
            return "arrears"
        if self.fall_months:
            return "recovery"
        return "none"

    @property
    def token(self) -> str:
        """What a person confirmed: compared again on submission, so a changed amount or month (or a month
        that closed in between, or an adjustment recomputed differently) is never applied without being
        shown first."""
        months = ",".join(f"{month.month}:{month.old_amount}:{month.new_amount}" for month in self.months)
        adjustments = ",".join(f"{item.month}:{item.new_amount}" for item in self.adjustments)
        return f"{self.kind}|{self.effective_month}|{self.new_amount}|{months}|{adjustments}"


def entitlement_months(retiree: Retiree) -> tuple[PensionMonth, PensionMonth | None]:
    """The first month a pension is due (the month after retirement) and the last (the death month, if
    any)."""
    first = PensionMonth.of(retiree.retirement_date).next()
    last = PensionMonth.of(retiree.died_on) if retiree.died_on else None
    return first, last


def rate_in_force(rates: list[PensionRate], month: PensionMonth) -> PensionRate | None:
    """The newest rate that had taken effect by `month` (rates in any order): the latest month, and within a
    month the latest revision (a month's rate corrected later)."""
    candidates = [rate for rate in rates if as_month(rate.effective_month) <= month]
    return (
        max(candidates, key=lambda rate: (as_month(rate.effective_month), rate.revision))
        if candidates
        else None
    )


def as_month(value: object) -> PensionMonth:
    """A PensionMonthField's value: the stubs see the integer column, the field gives a PensionMonth."""
    if isinstance(value, PensionMonth):
        return value
    if isinstance(value, int):
        return PensionMonth.from_number(value)
    raise TypeError(f"not a month: {value!r}")


def person_facts(retiree: Retiree, *, changed: Mapping[str, Any] | None = None) -> PersonFacts:
    """What the annual adjustment reads about the person: as registered, with `changed` (attribute → new
    value, from facts_changed_by) applied over it for a change not yet approved."""
    values: dict[str, Any] = {
        "birth_date": retiree.birth_date,
        "retirement_date": retiree.retirement_date,
        "contribution_months": retiree.contribution_months,
        "status": retiree.status,
        "died_on": retiree.died_on,
        **(changed or {}),
    }
    codes = RetireeFlag.objects.filter(retiree=retiree, removed_at__isnull=True).values_list(
        "kind__code", flat=True
    )
    return PersonFacts(flag_codes=frozenset(codes), **values)


def facts_changed_by(field: str, new_value: Mapping[str, Any]) -> dict[str, Any]:
    """The person's facts a request's new value changes (birth date → age tier, contribution months → the
    years component); nothing for a value that does not read as one (the services refuse it)."""
    try:
        if field == ChangeRequest.Field.BIRTH_DATE:
            return {"birth_date": datetime.date.fromisoformat(str(new_value.get("birth_date") or ""))}
        if field == ChangeRequest.Field.CONTRIBUTION_MONTHS:
            return {"contribution_months": int(str(new_value.get("contribution_months")))}
    except ValueError:
        return {}
    return {}


@dataclass(frozen=True)
class _Row:
    month: PensionMonth
    revision: int
    amount: Decimal
    is_adjustment: bool


def _in_force(rows: list[_Row], month: PensionMonth) -> _Row | None:
    candidates = [row for row in rows if row.month <= month]
    return max(candidates, key=lambda row: (row.month, row.revision)) if candidates else None


def _next_revision(rows: list[_Row], month: PensionMonth) -> int:
    return max((row.revision + 1 for row in rows if row.month == month), default=0)


def rate_change_effect(
    *,
    retiree: Retiree,
    new_amount: Decimal,
    effective_month: PensionMonth,
    changed: Mapping[str, Any] | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> RateChangeEffect:
    """The rates a change writes and the difference for every month from `effective_month` up to (not
    including) the first month no plan has been made for, that the person was entitled to. The adjustment
    rates are recomputed with the person's facts after the change (`changed`, see facts_changed_by). A month
    without any rate before has nothing to compare with and is left out (the services refuse such a change
    before it gets here). `note` is the new base rate's."""
    today = today or timezone.localdate()
    first_open = first_open_month(today, settings.PAYOUT_PLAN_DAY)
    entitled_from, entitled_to = entitlement_months(retiree)
    old_rows = [
        _Row(
            month=as_month(rate.effective_month),
            revision=rate.revision,
            amount=rate.amount,
            is_adjustment=rate.reason == PensionRate.Reason.ANNUAL_ADJUSTMENT,
        )
        for rate in PensionRate.objects.filter(retiree=retiree)
    ]
    base = RateToWrite(
        month=effective_month,
        revision=_next_revision(old_rows, effective_month),
        amount=new_amount,
        reason=PensionRate.Reason.INDIVIDUAL_ADJUSTMENT,
        note=note,
    )
    new_rows = [*old_rows, _Row(base.month, base.revision, base.amount, is_adjustment=False)]
    history = [
        RateEntry(month=row.month, amount=row.amount, is_adjustment=row.is_adjustment)
        for row in sorted(new_rows, key=lambda row: (row.month, row.revision))
    ]
    recomputed = adjustments_recomputed(
        facts=person_facts(retiree, changed=changed), rates=history, from_month=effective_month
    )
    to_write = [base]
    adjustments = []
    for adjusted in recomputed:
        before = _in_force(old_rows, adjusted.month)
        rate = RateToWrite(
            month=adjusted.month,
            revision=_next_revision(new_rows, adjusted.month),
            amount=adjusted.amount,
            reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
            note=adjusted.note,
        )
        new_rows.append(_Row(rate.month, rate.revision, rate.amount, is_adjustment=True))
        to_write.append(rate)
        adjustments.append(
            RecomputedAdjustment(
                year=adjusted.year,
                month=adjusted.month,
                old_amount=before.amount if before else None,
                new_amount=adjusted.amount,
                rise=adjusted.rise,
            )
        )
    recomputed_months = {adjusted.month for adjusted in recomputed}
    unrecomputed = sorted(
        {
            row.month
            for row in old_rows
            if row.is_adjustment and row.month >= effective_month and row.month not in recomputed_months
        }
    )
    month = max(effective_month, entitled_from)
    months: list[MonthDifference] = []
    while month < first_open and (entitled_to is None or month <= entitled_to):
        old = _in_force(old_rows, month)
        new = _in_force(new_rows, month)
        if old is not None and new is not None:
            months.append(MonthDifference(month=month, old_amount=old.amount, new_amount=new.amount))
        month = month.next()
    return RateChangeEffect(
        effective_month=effective_month,
        new_amount=new_amount,
        first_open=first_open,
        months=tuple(months),
        adjustments=tuple(adjustments),
        rates=tuple(to_write),
        unrecomputed=tuple(unrecomputed),
    )


# What a person reads: old and new values side by side ----------------------------------------------------


@dataclass(frozen=True)
class ValueRow:
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


_LABELS: dict[str, Any] = {
    "name": _("姓名"),
    "id_number": _("身份证号码"),
    "id_number_original": _("原15位身份证号码"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "work_start_date": _("参加工作时间"),
    "contribution_months": _("缴费月数"),
    "rate": _("养老金标准"),
    "phone": _("联系电话"),
    "address": _("本地住址"),
    "residence": _("居住类型"),
    "community_id": _("所属社区"),
    "remote_province": _("居住省份"),
    "remote_city": _("居住城市"),
    "remote_address": _("异地居住地址"),
    "bank_id": _("银行"),
    "account_number": _("账号/存折号"),
    "holder_name": _("户名"),
    "relation": _("与本人关系"),
}
_AGENT_LABELS: dict[str, Any] = {"name": _("代办人姓名"), "id_number": _("代办人身份证号码")}
# Bookkeeping keys that say nothing to a person.
_HIDDEN = frozenset({"account_id", "agent_id", "birth_date_differs", "remove"})


def _text_of(key: str, value: Any, *, masked: bool) -> str:
    if value is None or value == "":
        return "—"
    if key == "rate" and isinstance(value, dict):
        return gettext("¥%(amount)s(%(month)s 起)") % {
            "amount": value["amount"],
            "month": value["effective_month"],
        }
    if key == "sex":
        return str(Retiree.Sex(value).label) if value in Retiree.Sex.values else str(value)
    if key == "residence":
        return str(Retiree.Residence(value).label) if value in Retiree.Residence.values else str(value)
    if key == "community_id":
        unit = OrgUnit.objects.filter(pk=value).select_related("parent").first()
        return (
            f"{unit.parent.name if unit and unit.parent else ''} {unit.name}".strip() if unit else str(value)
        )
    if key == "bank_id":
        bank = Bank.objects.filter(pk=value).first()
        return bank.name if bank else str(value)
    if masked and key == "id_number":
        return mask_resident_id(str(value))
    if masked and key == "account_number":
        text = str(value)
        return text[:4] + "*" * max(len(text) - 8, 0) + text[-4:] if len(text) > 8 else text
    return str(value)


def comparison_rows(field: str, old: dict[str, Any], new: dict[str, Any], *, masked: bool) -> list[ValueRow]:
    """One row per item of the field: the label, what it was and what it becomes."""
    labels = {**_LABELS, **(_AGENT_LABELS if field == ChangeRequest.Field.AGENT else {})}
    if field == ChangeRequest.Field.AGENT and new.get("remove"):
        new = {}
    keys = [key for key in dict.fromkeys([*old, *new]) if key not in _HIDDEN]
    rows = []
    for key in keys:
        old_text = _text_of(key, old.get(key), masked=masked)
        # A rate is not part of the new value: the new amount is shown with the money effect.
        new_text = old_text if key == "rate" else _text_of(key, new.get(key), masked=masked)
        rows.append(ValueRow(label=str(labels.get(key, key)), old=old_text, new=new_text))
    return rows


def value_summary(field: str, value: dict[str, Any]) -> str:
    """One line for the queue, numbers masked."""
    if field == ChangeRequest.Field.AGENT and value.get("remove"):
        return gettext("取消委托代办人")
    parts = [
        _text_of(key, item, masked=True)
        for key, item in value.items()
        if key not in _HIDDEN and key != "rate" and item not in (None, "")
    ]
    return ";".join(parts) or "—"
