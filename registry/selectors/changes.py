"""Reads of information changes (maker-checker): who sees which requests, and the money a rate change
moves."""

from __future__ import annotations

import datetime
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
from ..id_numbers import mask_resident_id
from ..models import Bank, ChangeRequest, OrgUnit, PensionRate, Retiree, Staff
from ..months import PensionMonth, first_open_month

# The fields whose change recomputes the amount (零星调资, seed 000 §5).
AMOUNT_FIELDS = frozenset({ChangeRequest.Field.BIRTH_DATE, ChangeRequest.Field.WORK_START_DATE})


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
    month: PensionMonth
    old_amount: Decimal
    new_amount: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new_amount - self.old_amount


@dataclass(frozen=True)
class RateChangeEffect:
    """What a new amount from `effective_month` means for months already planned: arrears for a rise
    (one item per month), one recovery for a fall. Empty when no such month has passed yet."""

    effective_month: PensionMonth
    new_amount: Decimal
    first_open: PensionMonth
    months: tuple[MonthDifference, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return sum((month.difference for month in self.months), Decimal("0.00"))

    @property
    def kind(self) -> str:
        """ "arrears", "recovery" or "none"."""
        if self.total > 0:
            return "arrears"
        if self.total < 0:
            return "recovery"
        return "none"

    @property
    def rise_months(self) -> tuple[MonthDifference, ...]:
        return tuple(month for month in self.months if month.difference > 0)

    @property
    def token(self) -> str:
        """What a person confirmed: compared again on submission, so a changed amount or month (or a month
        that closed in between) is never applied without being shown first."""
        first = str(self.months[0].month) if self.months else ""
        last = str(self.months[-1].month) if self.months else ""
        return f"{self.kind}|{self.total}|{first}|{last}|{len(self.months)}|{self.new_amount}"


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


def rate_change_effect(
    *,
    retiree: Retiree,
    new_amount: Decimal,
    effective_month: PensionMonth,
    today: datetime.date | None = None,
) -> RateChangeEffect:
    """The difference for every month from `effective_month` up to (not including) the first month no plan
    has been made for, that the person was entitled to. A month without any rate has nothing to compare
    with and is left out (the services refuse such a change before it gets here)."""
    today = today or timezone.localdate()
    first_open = first_open_month(today, settings.PAYOUT_PLAN_DAY)
    entitled_from, entitled_to = entitlement_months(retiree)
    rates = list(PensionRate.objects.filter(retiree=retiree))
    month = max(effective_month, entitled_from)
    months: list[MonthDifference] = []
    while month < first_open and (entitled_to is None or month <= entitled_to):
        rate = rate_in_force(rates, month)
        if rate is not None:
            months.append(MonthDifference(month=month, old_amount=rate.amount, new_amount=new_amount))
        month = month.next()
    return RateChangeEffect(
        effective_month=effective_month, new_amount=new_amount, first_open=first_open, months=tuple(months)
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
