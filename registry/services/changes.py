"""Information changes with maker-checker (seed 000 §5): a clerk requests, someone else approves or rejects,
and only approval applies the change.

Every new value is validated when it is requested and again when it is approved (a bank may have closed or
an ID been registered in between). What the retiree had when the request was made is kept in `old_value`; an
approval is refused when that no longer matches, so a checker never applies a change to a value they were
not shown.

Birth date, work start date and contribution months recompute the pension (零星调资): the request carries the
new monthly amount and the month it takes effect. Approval adds that rate and, when the month is before an
applied annual adjustment, that adjustment recomputed on the new amount with the person's new facts (birth
date → age tier, contribution months → the years component), each as the next revision of its month; then the
difference between the old and the new schedule, month by month for months whose payout plan has already been
made, is settled: one ArrearsItem per rising month, one Recovery for the falling months' total. An effective
month not after the newest initial, individual or correction rate is refused: that rate was decided on facts
this change does not recompute (docs/change-requests.md).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..access import Action
from ..errors import ChangeRequestError
from ..id_numbers import EARLIEST_BIRTH, mask_resident_id, parse_resident_id
from ..models import (
    Agent,
    ArrearsItem,
    Bank,
    BankAccount,
    ChangeRequest,
    PensionRate,
    Recovery,
    Retiree,
    Staff,
)
from ..months import PensionMonth
from ..search import normalise_name
from ..selectors.changes import (
    AMOUNT_FIELDS,
    RateChangeEffect,
    as_month,
    entitlement_months,
    facts_changed_by,
    rate_change_effect,
)
from ..uploads import scanned_document_problem
from .search_keys import retiree_search_keys_rebuild

Field = ChangeRequest.Field
Value = dict[str, Any]

# Chinese characters (basic, extension A, compatibility, extensions B and later) with a middle dot between
# parts, as in minority and transliterated names (阿依古丽·买买提).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME = re.compile(rf"^[{_HAN}]+(·[{_HAN}]+)*$")
# Dots that clerks type for the middle dot, all stored as U+00B7.
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "\u2027": "·", ".": "·"})
# A mobile number, or a landline with its area code and an optional extension.
_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
_ACCOUNT = re.compile(r"^\d{8,32}$")


# The retiree's current value of each field, as stored in old_value ------------------------------------------


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def _rate_snapshot(retiree: Retiree) -> Value | None:
    rate = PensionRate.objects.filter(retiree=retiree).order_by("-effective_month", "-revision").first()
    if rate is None:
        return None
    return {"amount": str(rate.amount), "effective_month": str(rate.effective_month)}


def current_value(retiree: Retiree, field: str) -> Value:
    """What the retiree has now for `field`, JSON-ready. A request keeps it as old_value; approval compares
    it again."""
    if field == Field.NAME:
        return {"name": retiree.name}
    if field == Field.ID_NUMBER:
        return {
            "id_number": retiree.id_number,
            "id_number_original": retiree.id_number_original,
            "sex": retiree.sex,
        }
    if field == Field.BIRTH_DATE:
        # The rate is part of it: the new amount was worked out from this one.
        return {"birth_date": _iso(retiree.birth_date), "rate": _rate_snapshot(retiree)}
    if field == Field.WORK_START_DATE:
        return {"work_start_date": _iso(retiree.work_start_date), "rate": _rate_snapshot(retiree)}
    if field == Field.CONTRIBUTION_MONTHS:
        return {"contribution_months": retiree.contribution_months, "rate": _rate_snapshot(retiree)}
    if field == Field.CONTACT:
        return {"phone": retiree.phone, "address": retiree.address}
    if field == Field.RESIDENCE:
        return {
            "residence": retiree.residence,
            "community_id": retiree.community_id,
            "remote_province": retiree.remote_province,
            "remote_city": retiree.remote_city,
            "remote_address": retiree.remote_address,
        }
    if field == Field.BANK_ACCOUNT:
        account = BankAccount.objects.filter(retiree=retiree, is_current=True).first()
        if account is None:
            return {}
        return {
            "account_id": account.pk,
            "bank_id": account.bank_id,
            "account_number": account.account_number,
            "holder_name": account.holder_name,
        }
    if field == Field.AGENT:
        agent = Agent.objects.filter(retiree=retiree, is_current=True).first()
        if agent is None:
            return {}
        return {
            "agent_id": agent.pk,
            "name": agent.name,
            "id_number": agent.id_number,
            "relation": agent.relation,
            "phone": agent.phone,
        }
    raise ChangeRequestError(_("没有“%(field)s”这个变更项目。") % {"field": field}, field="field")


# Validation of a new value, per field -----------------------------------------------------------------------


def _text(raw: Value, key: str, *, max_length: int) -> str:
    value = raw.get(key)
    text = "" if value is None else str(value).strip()
    if len(text) > max_length:
        raise ChangeRequestError(_("内容过长,最多 %(n)d 个字。") % {"n": max_length}, field=key)
    return text


def _name(text: str, *, field: str, label: str) -> str:
    name = normalise_name(text).translate(_DOTS)
    if not name:
        raise ChangeRequestError(_("请填写%(label)s。") % {"label": label}, field=field)
    if len(name) > 50:
        raise ChangeRequestError(_("%(label)s过长,最多 50 个字。") % {"label": label}, field=field)
    if not _NAME.match(name):
        raise ChangeRequestError(
            _("%(label)s只能由汉字组成(少数民族姓名各部分之间用“·”分隔),“%(name)s”不符合。")
            % {"label": label, "name": name},
            field=field,
        )
    return name


def _phone(raw: Value, key: str = "phone", *, required: bool = False) -> str:
    phone = _text(raw, key, max_length=30).replace(" ", "")
    if not phone:
        if required:
            raise ChangeRequestError(_("请填写联系电话。"), field=key)
        return ""
    if not _PHONE.match(phone):
        raise ChangeRequestError(
            _("联系电话“%(phone)s”格式不对:手机号为11位数字,固定电话请带区号(如 0797-1234567)。")
            % {"phone": phone},
            field=key,
        )
    return phone


def _date(raw: Value, key: str, label: str) -> datetime.date:
    value = raw.get(key)
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ChangeRequestError(
            _("请按“年-月-日”填写有效的%(label)s,例如 1960-05-01。") % {"label": label}, field=key
        ) from None


def _unchanged() -> ChangeRequestError:
    return ChangeRequestError(_("新值与现登记的内容相同,无需变更。"), field="new_value")


def _validate_name(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    name = _name(_text(raw, "name", max_length=60), field="name", label=_("姓名"))
    if name == retiree.name:
        raise _unchanged()
    return {"name": name}


def _validate_id_number(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    try:
        parsed = parse_resident_id(_text(raw, "id_number", max_length=30), today=today)
    except ValidationError as error:
        raise ChangeRequestError(error.messages[0], field="id_number") from None
    original = parsed.original or str(raw.get("id_number_original") or "") or retiree.id_number_original
    if parsed.number == retiree.id_number and original == retiree.id_number_original:
        raise _unchanged()
    other = Retiree.objects.filter(id_number=parsed.number).exclude(pk=retiree.pk).first()
    if other is not None:
        raise ChangeRequestError(
            _("身份证号码 %(number)s 已登记为另一位退休人员:%(name)s(%(masked)s,登记编号 %(pk)d)。")
            % {
                "number": mask_resident_id(parsed.number),
                "name": other.name,
                "masked": other.masked_id_number,
                "pk": other.pk,
            },
            field="id_number",
        )
    differs = bool(raw.get("birth_date_differs"))
    if parsed.birth_date != retiree.birth_date and not differs:
        raise ChangeRequestError(
            _(
                "新身份证号码中的出生日期为 %(id_date)s,与登记的出生日期 %(birth)s 不一致。"
                "确属身份证与档案不同的,请勾选“出生日期与身份证不一致”并在原因中说明;需要更正出生日期的,请另行申请出生日期变更。"
            )
            % {"id_date": parsed.birth_date.isoformat(), "birth": retiree.birth_date.isoformat()},
            field="id_number",
        )
    value: Value = {"id_number": parsed.number, "id_number_original": original, "sex": parsed.sex}
    if parsed.birth_date != retiree.birth_date:
        value["birth_date_differs"] = True
    return value


def _check_order(
    birth: datetime.date, work_start: datetime.date | None, retirement: datetime.date, key: str
) -> None:
    min_age = settings.CHANGE_REQUEST_MIN_WORK_AGE
    if birth >= retirement:
        raise ChangeRequestError(
            _("出生日期 %(birth)s 应早于退休时间 %(retired)s。") % {"birth": birth, "retired": retirement},
            field=key,
        )
    if work_start is None:
        return
    earliest = (
        birth.replace(year=birth.year + min_age)
        if (birth.month, birth.day) != (2, 29)
        else birth.replace(year=birth.year + min_age, day=28)
    )
    if work_start < earliest:
        raise ChangeRequestError(
            _("参加工作时间 %(work)s 与出生日期 %(birth)s 不合:参加工作时应至少年满 %(age)d 周岁。")
            % {"work": work_start, "birth": birth, "age": min_age},
            field=key,
        )
    if work_start > retirement:
        raise ChangeRequestError(
            _("参加工作时间 %(work)s 应早于退休时间 %(retired)s。")
            % {"work": work_start, "retired": retirement},
            field=key,
        )


def _validate_birth_date(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    birth = _date(raw, "birth_date", _("出生日期"))
    if birth > today or birth < EARLIEST_BIRTH:
        raise ChangeRequestError(
            _("出生日期 %(date)s 不在合理范围内。") % {"date": birth}, field="birth_date"
        )
    if birth == retiree.birth_date:
        raise _unchanged()
    _check_order(birth, retiree.work_start_date, retiree.retirement_date, "birth_date")
    return {"birth_date": birth.isoformat()}


def _validate_work_start_date(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    work_start = _date(raw, "work_start_date", _("参加工作时间"))
    if work_start > today:
        raise ChangeRequestError(_("参加工作时间不能晚于今天。"), field="work_start_date")
    if work_start == retiree.work_start_date:
        raise _unchanged()
    _check_order(retiree.birth_date, work_start, retiree.retirement_date, "work_start_date")
    return {"work_start_date": work_start.isoformat()}


# Sixty years of contributions: more is a typing error.
_MAX_CONTRIBUTION_MONTHS = 720


def _validate_contribution_months(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    text = str(raw.get("contribution_months") if raw.get("contribution_months") is not None else "").strip()
    try:
        months = int(text)
    except ValueError:
        raise ChangeRequestError(
            _("请填写缴费月数(整月数),例如 240。"), field="contribution_months"
        ) from None
    if not 0 <= months <= _MAX_CONTRIBUTION_MONTHS:
        raise ChangeRequestError(
            _("缴费月数应在 0 到 %(max)d 之间。") % {"max": _MAX_CONTRIBUTION_MONTHS},
            field="contribution_months",
        )
    if months == retiree.contribution_months:
        raise _unchanged()
    return {"contribution_months": months}


def _validate_contact(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    value = {"phone": _phone(raw), "address": _text(raw, "address", max_length=200)}
    if value == {"phone": retiree.phone, "address": retiree.address}:
        raise _unchanged()
    return value


def _validate_residence(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    kind = str(raw.get("residence") or "")
    if kind == Retiree.Residence.LOCAL:
        try:
            community_id = int(raw.get("community_id") or 0)
        except (TypeError, ValueError):
            community_id = 0
        if community_id not in access.visible_community_ids(by):
            raise ChangeRequestError(_("请选择您管辖范围内的社区(村居)。"), field="community_id")
        value: Value = {
            "residence": kind,
            "community_id": community_id,
            "remote_province": "",
            "remote_city": "",
            "remote_address": "",
        }
    elif kind == Retiree.Residence.REMOTE:
        # The community stays: it is the station that keeps managing the person from here.
        value = {
            "residence": kind,
            "community_id": retiree.community_id,
            "remote_province": _text(raw, "remote_province", max_length=30),
            "remote_city": _text(raw, "remote_city", max_length=50),
            "remote_address": _text(raw, "remote_address", max_length=200),
        }
        for key, label in (
            ("remote_province", _("居住省份")),
            ("remote_city", _("居住城市")),
            ("remote_address", _("异地居住地址")),
        ):
            if not value[key]:
                raise ChangeRequestError(_("异地居住须填写%(label)s。") % {"label": label}, field=key)
    else:
        raise ChangeRequestError(_("请选择本地居住或异地居住。"), field="residence")
    if value == current_value(retiree, Field.RESIDENCE):
        raise _unchanged()
    return value


def _validate_bank_account(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    try:
        bank = Bank.objects.get(pk=int(raw.get("bank_id") or 0))
    except (Bank.DoesNotExist, TypeError, ValueError):
        raise ChangeRequestError(_("请选择发放银行。"), field="bank_id") from None
    if not bank.is_active:
        raise ChangeRequestError(
            _("%(bank)s已停用,不能再开设发放账户,请选择其他银行。") % {"bank": bank.name}, field="bank_id"
        )
    number = _text(raw, "account_number", max_length=40).replace(" ", "")
    if not _ACCOUNT.match(number):
        raise ChangeRequestError(_("账号应为8至32位数字。"), field="account_number")
    holder = _name(_text(raw, "holder_name", max_length=60), field="holder_name", label=_("户名"))
    current = current_value(retiree, Field.BANK_ACCOUNT)
    if current and (current["bank_id"], current["account_number"], current["holder_name"]) == (
        bank.pk,
        number,
        holder,
    ):
        raise _unchanged()
    return {"bank_id": bank.pk, "account_number": number, "holder_name": holder}


def _validate_agent(retiree: Retiree, raw: Value, by: Staff, today: datetime.date) -> Value:
    current = current_value(retiree, Field.AGENT)
    if raw.get("remove"):
        if not current:
            raise ChangeRequestError(_("该人员目前没有委托代办人,无需取消。"), field="remove")
        return {"remove": True}
    name = _name(_text(raw, "name", max_length=60), field="name", label=_("代办人姓名"))
    try:
        agent_id = parse_resident_id(_text(raw, "id_number", max_length=30), today=today)
    except ValidationError as error:
        raise ChangeRequestError(error.messages[0], field="id_number") from None
    if agent_id.number == retiree.id_number:
        raise ChangeRequestError(_("代办人不能是退休人员本人。"), field="id_number")
    relation = _text(raw, "relation", max_length=20)
    if not relation:
        raise ChangeRequestError(_("请填写代办人与本人的关系。"), field="relation")
    value = {
        "name": name,
        "id_number": agent_id.number,
        "relation": relation,
        "phone": _phone(raw, required=True),
    }
    if current and {key: current[key] for key in value} == value:
        raise _unchanged()
    return value


_VALIDATORS: dict[str, Callable[[Retiree, Value, Staff, datetime.date], Value]] = {
    Field.NAME: _validate_name,
    Field.ID_NUMBER: _validate_id_number,
    Field.BIRTH_DATE: _validate_birth_date,
    Field.WORK_START_DATE: _validate_work_start_date,
    Field.CONTRIBUTION_MONTHS: _validate_contribution_months,
    Field.CONTACT: _validate_contact,
    Field.RESIDENCE: _validate_residence,
    Field.BANK_ACCOUNT: _validate_bank_account,
    Field.AGENT: _validate_agent,
}


def validate_new_value(*, retiree: Retiree, field: str, new_value: Value, by: Staff) -> Value:
    """The new value, normalised, or ChangeRequestError naming what is wrong. Writes nothing."""
    validator = _VALIDATORS.get(field)
    if validator is None:
        raise ChangeRequestError(_("请选择要变更的项目。"), field="field")
    if not isinstance(new_value, dict):
        raise ChangeRequestError(_("新值格式不正确。"), field="new_value")
    return validator(retiree, new_value, by, timezone.localdate())


# A phone number or an address is how the bureau reaches the person, not who they are or what they are paid:
# no scanned proof (the clerk hears it from the person), but still maker-checker (docs/change-requests.md).
DOCUMENT_NOT_REQUIRED = frozenset({Field.CONTACT})


def document_required(field: str) -> bool:
    """Whether a request for this item must carry a scanned document (the pages mark it up front)."""
    return field not in DOCUMENT_NOT_REQUIRED


def _validate_document(document: UploadedFile[bytes] | None) -> None:
    if document is None or not document.name:
        raise ChangeRequestError(_("请上传证明材料扫描件(PDF、JPG 或 PNG)。"), field="document")
    if problem := scanned_document_problem(document):
        raise ChangeRequestError(problem, field="document")


def _money(value: Decimal | str | None) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ChangeRequestError(_("请填写调整后月养老金,例如 2865.50。"), field="new_amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("10000000000"):
        raise ChangeRequestError(_("调整后月养老金应大于 0。"), field="new_amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ChangeRequestError(_("调整后月养老金最多两位小数(分)。"), field="new_amount")
    return amount.quantize(Decimal("0.01"))


def _validate_effective_month(retiree: Retiree, effective_month: PensionMonth) -> None:
    """Back-dating may cross annual adjustments (they are recomputed), never a rate decided on other grounds:
    an initial, individual or correction rate from the effective month on would be overridden by figures
    its decision did not see."""
    if not PensionRate.objects.filter(retiree=retiree).exists():
        raise ChangeRequestError(
            _("该人员还没有养老金标准,不能零星调资;请先完成待遇核定。"), field="new_amount"
        )
    entitled_from, _last = entitlement_months(retiree)
    if effective_month < entitled_from:
        raise ChangeRequestError(
            _("调整起始月份 %(month)s 早于开始领取养老金的月份 %(first)s。")
            % {"month": effective_month, "first": entitled_from},
            field="effective_month",
        )
    decided = (
        PensionRate.objects.filter(retiree=retiree)
        .exclude(reason=PensionRate.Reason.ANNUAL_ADJUSTMENT)
        .order_by("-effective_month", "-revision")
        .first()
    )
    if decided is not None and effective_month <= as_month(decided.effective_month):
        raise ChangeRequestError(
            _(
                "调整起始月份 %(month)s 不能早于或等于该人员 %(newest)s 起的%(reason)s标准:"
                "追溯变更只能跨越年度调待(将按新情况重新计算),不能跨越%(reason)s。"
                "请以 %(newest)s 之后的月份为起始月份。"
            )
            % {
                "month": effective_month,
                "newest": decided.effective_month,
                "reason": decided.get_reason_display(),
            },
            field="effective_month",
        )


def _refuse_unrecomputed(effect: RateChangeEffect) -> None:
    """An adjustment rate the recomputation gives nothing for would stay in force with the old amount."""
    if effect.unrecomputed:
        months = "、".join(str(month) for month in effect.unrecomputed)
        raise ChangeRequestError(
            _(
                "调整起始月份 %(month)s 之后有 %(months)s 起的年度调待标准,按变更后的情况无法重新计算"
                "(该人员不再符合调整条件,或该次调待不是由本系统执行的),不能跨越。"
                "请以 %(last)s 之后的月份为起始月份。"
            )
            % {"month": effect.effective_month, "months": months, "last": effect.unrecomputed[-1]},
            field="effective_month",
        )


def _pending_message(pending: ChangeRequest) -> str:
    return _(
        "该人员的“%(field)s”已有一条待审核的变更申请(申请编号 %(pk)d,%(who)s 于 %(when)s 提交),"
        "审核完成前不能再次申请。"
    ) % {
        "field": pending.get_field_display(),
        "pk": pending.pk,
        "who": pending.requested_by.display_name,
        "when": timezone.localtime(pending.requested_at).strftime("%Y-%m-%d %H:%M"),
    }


def pending_request_for(retiree: Retiree, field: str) -> ChangeRequest | None:
    return (
        ChangeRequest.objects.select_related("requested_by")
        .filter(retiree=retiree, field=field, status=ChangeRequest.Status.PENDING)
        .first()
    )


def _require_visible(by: Staff, retiree: Retiree) -> None:
    if not access.retirees_visible_to(by).filter(pk=retiree.pk).exists():
        raise ChangeRequestError(_("该退休人员不在您的管辖范围内。"), field="retiree")


# Request ----------------------------------------------------------------------------------------------------


@transaction.atomic
def change_request_create(
    *,
    retiree: Retiree,
    field: str,
    new_value: Value,
    reason: str,
    document: UploadedFile[bytes] | None,
    approval_reference: str = "",
    new_amount: Decimal | str | None = None,
    effective_month: PensionMonth | None = None,
    by: Staff,
) -> ChangeRequest:
    """A clerk asks for a change. Nothing about the retiree changes until someone else approves it."""
    access.require(by, Action.EDIT_REGISTRY)
    _require_visible(by, retiree)
    # old_value is what the database holds now, whatever the caller's copy says.
    retiree = Retiree.objects.get(pk=retiree.pk)
    if field not in Field.values:
        raise ChangeRequestError(_("请选择要变更的项目。"), field="field")
    pending = pending_request_for(retiree, field)
    if pending is not None:
        raise ChangeRequestError(_pending_message(pending), field="field")
    value = validate_new_value(retiree=retiree, field=field, new_value=new_value, by=by)
    reason = (reason or "").strip()
    if not reason:
        raise ChangeRequestError(_("请填写变更原因。"), field="reason")
    if len(reason) > 300:
        raise ChangeRequestError(_("变更原因最多 300 个字。"), field="reason")
    approval_reference = (approval_reference or "").strip()
    amount: Decimal | None = None
    if field in AMOUNT_FIELDS:
        if not approval_reference:
            raise ChangeRequestError(
                _("出生日期、参加工作时间、缴费月数的变更须经人社局审批,请填写审批文号。"),
                field="approval_reference",
            )
        if len(approval_reference) > 60:
            raise ChangeRequestError(_("审批文号最多 60 个字。"), field="approval_reference")
        if new_amount is None or str(new_amount).strip() == "":
            raise ChangeRequestError(_("请填写调整后月养老金。"), field="new_amount")
        amount = _money(new_amount)
        if effective_month is None:
            raise ChangeRequestError(_("请填写调整起始月份(年-月)。"), field="effective_month")
        _validate_effective_month(retiree, effective_month)
        _refuse_unrecomputed(
            rate_change_effect(
                retiree=retiree,
                new_amount=amount,
                effective_month=effective_month,
                changed=facts_changed_by(field, value),
            )
        )
    else:
        if (new_amount is not None and str(new_amount).strip()) or effective_month is not None:
            raise ChangeRequestError(
                _(
                    "只有出生日期、参加工作时间和缴费月数的变更会调整养老金,"
                    "其他项目不能填写调整金额和起始月份。"
                ),
                field="new_amount",
            )
        if len(approval_reference) > 60:
            raise ChangeRequestError(_("审批文号最多 60 个字。"), field="approval_reference")
    if document_required(field):
        _validate_document(document)
    elif document is not None and document.name:
        # Not needed, but a scan that is sent must still be a real one.
        _validate_document(document)
    else:
        document = None
    try:
        # A savepoint: the one-pending constraint is the last line against two clerks requesting at once.
        with transaction.atomic():
            created = ChangeRequest.objects.create(
                retiree=retiree,
                field=field,
                old_value=current_value(retiree, field),
                new_value=value,
                reason=reason,
                document=document or "",
                approval_reference=approval_reference,
                new_amount=amount,
                effective_month=effective_month.number if amount is not None and effective_month else None,
                requested_by=by,
            )
    except IntegrityError:
        pending = pending_request_for(retiree, field)
        if pending is None:
            raise
        raise ChangeRequestError(_pending_message(pending), field="field") from None
    created.refresh_from_db(fields=["effective_month"])
    return created


# Decide -----------------------------------------------------------------------------------------------------


def _lock_for_decision(change_request: ChangeRequest, by: Staff) -> ChangeRequest:
    access.require(by, Action.APPROVE_CHANGES)
    # Lock the request: two checkers deciding at once would both read "pending" and both apply it. With the
    # lock the second waits for the first to commit, then reads "approved" and is refused below.
    locked = ChangeRequest.objects.select_for_update().select_related("retiree").get(pk=change_request.pk)
    if locked.status != ChangeRequest.Status.PENDING:
        raise ChangeRequestError(
            _("该申请%(status)s,不能再次审核。") % {"status": locked.get_status_display()}, field="status"
        )
    if locked.requested_by_id == by.pk:
        raise ChangeRequestError(
            _("不能审核自己提交的申请,请由其他有审核权限的人员审核。"), field="decided_by"
        )
    _require_visible(by, locked.retiree)
    return locked


def _record_decision(locked: ChangeRequest, *, status: str, by: Staff, comment: str) -> ChangeRequest:
    locked.status = status
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_comment = comment
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    return locked


@transaction.atomic
def change_request_reject(*, change_request: ChangeRequest, by: Staff, comment: str) -> ChangeRequest:
    """A checker turns a request down, saying why. Nothing about the retiree changes."""
    comment = (comment or "").strip()
    locked = _lock_for_decision(change_request, by)
    if not comment:
        raise ChangeRequestError(_("驳回时请填写审核意见,说明驳回原因。"), field="comment")
    if len(comment) > 300:
        raise ChangeRequestError(_("审核意见最多 300 个字。"), field="comment")
    _record_decision(locked, status=ChangeRequest.Status.REJECTED, by=by, comment=comment)
    change_request.refresh_from_db()
    return change_request


@transaction.atomic
def change_request_approve(*, change_request: ChangeRequest, by: Staff, comment: str = "") -> ChangeRequest:
    """A checker approves: the change is applied, with its rate and arrears or recovery, in one
    transaction."""
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise ChangeRequestError(_("审核意见最多 300 个字。"), field="comment")
    locked = _lock_for_decision(change_request, by)
    # The retiree's row too: another approval (a different field) must not change it between the check below
    # and the update.
    retiree = Retiree.objects.select_for_update().get(pk=locked.retiree_id)
    field = locked.field
    now_value = current_value(retiree, field)
    if now_value != locked.old_value:
        raise ChangeRequestError(
            _(
                "申请提交后,该人员的“%(field)s”已有变化(或其养老金标准已调整),与申请时的原值不同。"
                "此申请已过时,请驳回后按现在的情况重新申请。"
            )
            % {"field": locked.get_field_display()},
            field="old_value",
        )
    value = validate_new_value(retiree=retiree, field=field, new_value=locked.new_value, by=by)
    today = timezone.localdate()
    _APPLY[field](retiree, value, locked, by, today)
    _apply_rate_change(retiree, locked, by, today)
    _record_decision(locked, status=ChangeRequest.Status.APPROVED, by=by, comment=comment)
    change_request.refresh_from_db()
    return change_request


# Apply, per field (approval only) ---------------------------------------------------------------------------


def _save(retiree: Retiree, **values: Any) -> None:
    for key, value in values.items():
        setattr(retiree, key, value)
    retiree.save(update_fields=[*values, "updated_at"])


def _apply_name(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    _save(retiree, name=value["name"])
    retiree_search_keys_rebuild(retiree_ids=[retiree.pk])


def _apply_id_number(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    try:
        with transaction.atomic():
            _save(
                retiree,
                id_number=value["id_number"],
                id_number_original=value["id_number_original"],
                sex=value["sex"],
            )
    except IntegrityError:
        raise ChangeRequestError(
            _("身份证号码 %(number)s 已登记为另一位退休人员。")
            % {"number": mask_resident_id(value["id_number"])},
            field="id_number",
        ) from None


def _apply_birth_date(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    _save(retiree, birth_date=datetime.date.fromisoformat(value["birth_date"]))


def _apply_work_start_date(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    _save(retiree, work_start_date=datetime.date.fromisoformat(value["work_start_date"]))


def _apply_contribution_months(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    _save(retiree, contribution_months=int(value["contribution_months"]))


def _apply_contact(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    _save(retiree, phone=value["phone"], address=value["address"])


def _apply_residence(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    _save(
        retiree,
        residence=value["residence"],
        community_id=value["community_id"],
        remote_province=value["remote_province"],
        remote_city=value["remote_city"],
        remote_address=value["remote_address"],
    )


def _apply_bank_account(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    # Close before opening: the database allows one current account per retiree.
    BankAccount.objects.filter(retiree=retiree, is_current=True).update(is_current=False, valid_until=today)
    BankAccount.objects.create(
        retiree=retiree,
        bank_id=value["bank_id"],
        account_number=value["account_number"],
        holder_name=value["holder_name"],
        is_current=True,
        valid_from=today,
        created_by=by,
    )


def _apply_agent(
    retiree: Retiree, value: Value, request: ChangeRequest, by: Staff, today: datetime.date
) -> None:
    Agent.objects.filter(retiree=retiree, is_current=True).update(is_current=False, valid_until=today)
    if value.get("remove"):
        return
    # The request's scanned document is the proof of the agency (e.g. a village committee's letter).
    Agent.objects.create(
        retiree=retiree,
        name=value["name"],
        id_number=value["id_number"],
        relation=value["relation"],
        phone=value["phone"],
        proof_document=request.document.name,
        is_current=True,
        valid_from=today,
        created_by=by,
    )


_APPLY: dict[str, Callable[[Retiree, Value, ChangeRequest, Staff, datetime.date], None]] = {
    Field.NAME: _apply_name,
    Field.ID_NUMBER: _apply_id_number,
    Field.BIRTH_DATE: _apply_birth_date,
    Field.WORK_START_DATE: _apply_work_start_date,
    Field.CONTRIBUTION_MONTHS: _apply_contribution_months,
    Field.CONTACT: _apply_contact,
    Field.RESIDENCE: _apply_residence,
    Field.BANK_ACCOUNT: _apply_bank_account,
    Field.AGENT: _apply_agent,
}


def _apply_rate_change(retiree: Retiree, request: ChangeRequest, by: Staff, today: datetime.date) -> None:
    """Called after the field was saved: the person's facts are the new ones."""
    if request.new_amount is None or request.effective_month is None:
        return
    effective_month = as_month(request.effective_month)
    # A rate added since the request would have made the request stale above; checked again so the refusal
    # reads as what it is.
    _validate_effective_month(retiree, effective_month)
    note = _("%(field)s变更,人社局审批文号 %(reference)s(变更申请 %(pk)d)") % {
        "field": request.get_field_display(),
        "reference": request.approval_reference,
        "pk": request.pk,
    }
    effect = rate_change_effect(
        retiree=retiree,
        new_amount=request.new_amount,
        effective_month=effective_month,
        note=note[:200],
        today=today,
    )
    _refuse_unrecomputed(effect)
    PensionRate.objects.bulk_create(
        PensionRate(
            retiree=retiree,
            amount=rate.amount,
            effective_month=rate.month.number,
            revision=rate.revision,
            reason=rate.reason,
            note=rate.note[:200],
            created_by=by,
        )
        for rate in effect.rates
    )
    ArrearsItem.objects.bulk_create(
        ArrearsItem(
            retiree=retiree,
            month=month.month.number,
            amount=month.difference,
            reason=ArrearsItem.Reason.RATE_CHANGE,
            change_request=request,
            note=note[:200],
            created_by=by,
        )
        for month in effect.rise_months
    )
    falls = effect.fall_months
    if falls:
        Recovery.objects.create(
            retiree=retiree,
            amount=effect.recovery_total,
            from_month=falls[0].month.number,
            to_month=falls[-1].month.number,
            reason=Recovery.Reason.RATE_CHANGE,
            change_request=request,
            note=note[:200],
            created_by=by,
        )
