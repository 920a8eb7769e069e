"""Intake of a newly retired person (seed 000 §3.1, docs/domain.md "Intake").

`intake_check` validates everything and works out what the intake will write (the arrears it creates move
money, so the page shows them before the clerk confirms); `retiree_intake` runs the same check and writes it
all in one transaction. A refusal raises IntakeError and writes nothing, not even a certificate number.
"""

from __future__ import annotations

import datetime
import unicodedata
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..access import Action
from ..adjustments import AdjustedRate, PersonFacts, RateEntry, adjustments_recomputed
from ..errors import IntakeError
from ..id_numbers import ResidentId, mask_resident_id, parse_resident_id
from ..models import (
    Agent,
    ArrearsItem,
    Bank,
    BankAccount,
    Employer,
    ManagementFeeReceipt,
    OrgUnit,
    PensionRate,
    Retiree,
    Staff,
)
from ..months import PensionMonth, first_open_month
from ..search import normalise_name
from ..uploads import JPEG, PNG, scan_kind
from .certificate_numbers import certificate_number_take, county_code_of
from .search_keys import retiree_search_keys_rebuild

_CENT = Decimal("0.01")
_MAX_MONEY = Decimal("9999999999.99")  # numeric(12,2)
_NAME_MARKS = frozenset("·•.")
_PHONE_CHARACTERS = frozenset("0123456789-+ ")
# Retiring before 40 is almost always a typing error in the birth or retirement year.
_MIN_RETIREMENT_AGE = 40


@dataclass(frozen=True, kw_only=True)
class IntakeData:
    """What a clerk enters, from the page or the API. Field names are the form's and the API's, so an
    IntakeError's `field` points at the input to correct."""

    # 身份信息
    name: str
    id_number: str
    sex: str = ""  # optional: when given it must match the ID
    birth_date: datetime.date | None = None  # optional: when given it must match the ID
    phone: str = ""
    address: str = ""
    # 居住地
    community_id: int | None
    residence: str = Retiree.Residence.LOCAL
    remote_province: str = ""
    remote_city: str = ""
    remote_address: str = ""
    # 原单位与退休
    employer_id: int | None = None
    employer_name: str = ""
    work_start_date: datetime.date | None = None
    retirement_date: datetime.date
    contribution_months: int = 0
    # 养老金与银行账户
    initial_amount: Decimal
    bank_id: int | None
    account_number: str
    holder_name: str = ""
    # 委托代办人(可选)
    agent_name: str = ""
    agent_id_number: str = ""
    agent_relation: str = ""
    agent_phone: str = ""
    # 退管费
    fee_amount: Decimal | None = None  # None: settings.INTAKE_MANAGEMENT_FEE
    fee_receipt_number: str
    fee_paid_on: datetime.date


@dataclass(frozen=True)
class IntakeArrears:
    """One month before intake: the rate in force that month (the initial amount, or with an annual
    adjustment's rise from its effective month), and the rise included in it."""

    month: PensionMonth
    amount: Decimal
    rise: Decimal


@dataclass(frozen=True)
class IntakePlan:
    """What an intake will write, worked out before anything is written."""

    name: str
    resident_id: ResidentId
    community: OrgUnit
    employer: Employer | None  # None with a new employer_name: created on write
    new_employer_name: str
    bank: Bank
    account_number: str
    holder_name: str
    initial_amount: Decimal
    fee_amount: Decimal
    entitlement_month: PensionMonth
    regular_payment_from: PensionMonth
    arrears: tuple[IntakeArrears, ...]
    has_agent: bool
    agent_id: ResidentId | None = None
    warnings: tuple[str, ...] = field(default=())
    # Every applied annual adjustment the person takes part in (retired by its cut-off), computed on the
    # initial amount: written with it, so the months from its effective month are due with the rise.
    adjustments: tuple[AdjustedRate, ...] = field(default=())

    @property
    def arrears_months(self) -> tuple[PensionMonth, ...]:
        return tuple(item.month for item in self.arrears)

    @property
    def arrears_total(self) -> Decimal:
        return sum((item.amount for item in self.arrears), Decimal("0.00"))

    @property
    def signature(self) -> str:
        """What the clerk confirmed: if the arrears change between the preview and the save (the plan
        day passed in between, an adjustment was applied), the page asks again instead of saving an amount
        nobody saw."""
        months = f"{self.arrears_months[0]}~{self.arrears_months[-1]}" if self.arrears_months else "-"
        adjusted = ",".join(f"{item.month}:{item.amount}" for item in self.adjustments)
        return f"{months}|{self.arrears_total}|{self.regular_payment_from}|{adjusted}"


# Checks -----------------------------------------------------------------------------------------------------


def intake_id_check(raw: str, *, today: datetime.date | None = None) -> ResidentId:
    """Validate an ID number and refuse one already registered, naming the record it belongs to."""
    try:
        resident_id = parse_resident_id(raw, today=today)
    except ValidationError as error:
        raise IntakeError(" ".join(error.messages), field="id_number") from None
    existing = (
        Retiree.objects.select_related("community__parent")
        .filter(id_number=resident_id.number)
        .only("id", "name", "id_number", "community__name", "community__parent__name")
        .first()
    )
    if existing is not None:
        township = existing.community.parent.name if existing.community.parent else ""
        raise IntakeError(
            _(
                "身份证号码 %(id)s 已经登记过:%(name)s(%(township)s %(community)s),不能重复登记。"
                "请打开该人员的档案核对。"
            )
            % {
                "id": mask_resident_id(existing.id_number),
                "name": existing.name,
                "township": township,
                "community": existing.community.name,
            },
            field="id_number",
            existing_retiree_id=existing.pk,
        )
    return resident_id


def _check_name(raw: str, *, field_name: str, label: str) -> str:
    name = normalise_name(raw)
    if not name:
        raise IntakeError(_("请填写%(label)s。") % {"label": label}, field=field_name)
    if len(name) > 50:
        raise IntakeError(_("%(label)s不能超过50个字。") % {"label": label}, field=field_name)
    for character in name:
        if not (unicodedata.category(character).startswith("L") or character in _NAME_MARKS):
            raise IntakeError(
                _("%(label)s中不能有“%(char)s”:只能是汉字、字母和间隔号“·”。")
                % {"label": label, "char": character},
                field=field_name,
            )
    return name


def _check_phone(raw: str, *, field_name: str) -> str:
    phone = raw.strip()
    if phone and (
        not set(phone) <= _PHONE_CHARACTERS or sum(ch.isdigit() for ch in phone) < 7 or len(phone) > 30
    ):
        raise IntakeError(_("联系电话应为7位以上的数字(可含“-”)。"), field=field_name)
    return phone


def _check_money(value: Decimal | None, *, field_name: str, label: str, positive: bool) -> Decimal:
    try:
        amount = Decimal(value) if value is not None else None
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise IntakeError(_("请填写%(label)s(元)。") % {"label": label}, field=field_name)
    if amount != amount.quantize(_CENT):
        raise IntakeError(_("%(label)s最多两位小数(精确到分)。") % {"label": label}, field=field_name)
    if (positive and amount <= 0) or amount < 0:
        raise IntakeError(_("%(label)s必须大于0。") % {"label": label}, field=field_name)
    if amount > _MAX_MONEY:
        raise IntakeError(_("%(label)s过大,请核对。") % {"label": label}, field=field_name)
    return amount.quantize(_CENT)


def _check_image(photo: UploadedFile[bytes] | None) -> None:
    if photo is None:
        return
    if photo.size is not None and photo.size > settings.INTAKE_PHOTO_MAX_BYTES:
        raise IntakeError(
            _("照片不能超过 %(mb)s MB。") % {"mb": round(settings.INTAKE_PHOTO_MAX_BYTES / 1024 / 1024, 1)},
            field="photo",
        )
    if scan_kind(photo) not in (JPEG, PNG):
        raise IntakeError(_("照片应为 JPG 或 PNG 图片。"), field="photo")


def _check_proof(proof: UploadedFile[bytes] | None, *, has_agent: bool) -> None:
    if not has_agent:
        if proof is not None:
            raise IntakeError(_("没有填写委托代办人,不需要上传委托证明。"), field="agent_proof")
        return
    if proof is None:
        raise IntakeError(_("由代办人办理时必须上传委托证明(如村委会出具的证明)。"), field="agent_proof")
    if proof.size is not None and proof.size > settings.INTAKE_PROOF_MAX_BYTES:
        raise IntakeError(
            _("委托证明不能超过 %(mb)s MB。")
            % {"mb": round(settings.INTAKE_PROOF_MAX_BYTES / 1024 / 1024, 1)},
            field="agent_proof",
        )
    if scan_kind(proof) is None:
        raise IntakeError(_("委托证明应为 PDF、JPG 或 PNG 文件。"), field="agent_proof")


def _check_community(data: IntakeData, by: Staff) -> OrgUnit:
    if data.community_id is None:
        raise IntakeError(_("请选择所属社区(村居)。"), field="community_id")
    community = (
        access.visible_units(by)
        .filter(kind=OrgUnit.Kind.COMMUNITY, pk=data.community_id)
        .select_related("parent__parent")
        .first()
    )
    if community is None:
        raise IntakeError(_("所选社区不存在或不在您的管辖范围内。"), field="community_id")
    return community


def _check_residence(data: IntakeData) -> None:
    if data.residence not in Retiree.Residence.values:
        raise IntakeError(_("请选择居住类型。"), field="residence")
    if data.residence == Retiree.Residence.REMOTE:
        for field_name, label in (
            ("remote_province", _("居住省份")),
            ("remote_city", _("居住城市")),
            ("remote_address", _("异地居住地址")),
        ):
            if not getattr(data, field_name).strip():
                raise IntakeError(_("异地居住须填写%(label)s。") % {"label": label}, field=field_name)


def _check_employer(data: IntakeData) -> tuple[Employer | None, str]:
    if data.employer_id is not None:
        employer = Employer.objects.filter(pk=data.employer_id).first()
        if employer is None:
            raise IntakeError(_("所选原单位不存在。"), field="employer_id")
        return employer, ""
    name = " ".join(data.employer_name.split())
    if not name:
        raise IntakeError(_("请选择或填写原单位名称。"), field="employer_name")
    if len(name) > 200:
        raise IntakeError(_("原单位名称不能超过200个字。"), field="employer_name")
    existing = Employer.objects.filter(name=name).first()
    return (existing, "") if existing else (None, name)


def _check_dates(data: IntakeData, resident_id: ResidentId, today: datetime.date) -> None:
    born = resident_id.birth_date
    if data.retirement_date > today:
        raise IntakeError(
            _("退休时间 %(date)s 在今天之后:办完退休手续后才能登记。") % {"date": data.retirement_date},
            field="retirement_date",
        )
    try:
        earliest = born.replace(year=born.year + _MIN_RETIREMENT_AGE)
    except ValueError:  # born on 29 February
        earliest = datetime.date(born.year + _MIN_RETIREMENT_AGE, 3, 1)
    if data.retirement_date < earliest:
        raise IntakeError(
            _("退休时间 %(date)s 距出生日期 %(born)s 不足%(years)d年,请核对退休时间和身份证号码。")
            % {"date": data.retirement_date, "born": born, "years": _MIN_RETIREMENT_AGE},
            field="retirement_date",
        )
    if data.work_start_date is not None and not born < data.work_start_date <= data.retirement_date:
        raise IntakeError(_("参加工作时间应在出生日期之后、退休时间之前。"), field="work_start_date")
    if data.fee_paid_on > today:
        raise IntakeError(_("缴费日期不能晚于今天。"), field="fee_paid_on")


def _check_agent(data: IntakeData, resident_id: ResidentId, today: datetime.date) -> ResidentId | None:
    given = [data.agent_name, data.agent_id_number, data.agent_relation, data.agent_phone]
    if not any(value.strip() for value in given):
        return None
    _check_name(data.agent_name, field_name="agent_name", label=_("代办人姓名"))
    if not data.agent_id_number.strip():
        raise IntakeError(_("请填写代办人身份证号码。"), field="agent_id_number")
    try:
        agent_id = parse_resident_id(data.agent_id_number, today=today)
    except ValidationError as error:
        raise IntakeError(
            _("代办人身份证号码:%(error)s") % {"error": " ".join(error.messages)}, field="agent_id_number"
        ) from None
    if agent_id.number == resident_id.number:
        raise IntakeError(_("代办人不能是退休人员本人。"), field="agent_id_number")
    relation = data.agent_relation.strip()
    if not relation:
        raise IntakeError(_("请填写代办人与本人的关系。"), field="agent_relation")
    if len(relation) > 20:
        raise IntakeError(_("与本人关系不能超过20个字。"), field="agent_relation")
    _check_phone(data.agent_phone, field_name="agent_phone")
    return agent_id


def _check_bank(data: IntakeData) -> tuple[Bank, str]:
    if data.bank_id is None:
        raise IntakeError(_("请选择发放银行。"), field="bank_id")
    bank = Bank.objects.filter(pk=data.bank_id, is_active=True).first()
    if bank is None:
        raise IntakeError(_("所选银行不存在或已停用。"), field="bank_id")
    number = "".join(data.account_number.split())
    if not (number.isascii() and number.isdigit() and 8 <= len(number) <= 32):
        raise IntakeError(_("银行账号(存折号)应为8至32位数字。"), field="account_number")
    return bank, number


def intake_check(
    *,
    data: IntakeData,
    photo: UploadedFile[bytes] | None,
    agent_proof: UploadedFile[bytes] | None,
    by: Staff,
    today: datetime.date | None = None,
) -> IntakePlan:
    """Validate an intake and work out what it will write. Writes nothing."""
    access.require(by, Action.EDIT_REGISTRY)
    today = today or timezone.localdate()

    name = _check_name(data.name, field_name="name", label=_("姓名"))
    resident_id = intake_id_check(data.id_number, today=today)
    if data.sex and data.sex != resident_id.sex:
        raise IntakeError(
            _("性别与身份证号码不符:号码显示为%(sex)s。") % {"sex": Retiree.Sex(resident_id.sex).label},
            field="sex",
        )
    if data.birth_date and data.birth_date != resident_id.birth_date:
        raise IntakeError(
            _("出生日期与身份证号码不符:号码显示为 %(date)s。") % {"date": resident_id.birth_date},
            field="birth_date",
        )
    _check_phone(data.phone, field_name="phone")
    if len(data.address.strip()) > 200:
        raise IntakeError(_("住址不能超过200个字。"), field="address")

    community = _check_community(data, by)
    _check_residence(data)
    employer, new_employer_name = _check_employer(data)
    _check_dates(data, resident_id, today)
    if not 0 <= data.contribution_months <= 12 * 70:
        raise IntakeError(_("缴费月数应在0到840之间。"), field="contribution_months")

    initial_amount = _check_money(
        data.initial_amount, field_name="initial_amount", label=_("初次核定月养老金"), positive=True
    )
    bank, account_number = _check_bank(data)
    holder_name = (
        _check_name(data.holder_name, field_name="holder_name", label=_("户名"))
        if data.holder_name.strip()
        else name
    )

    agent_id = _check_agent(data, resident_id, today)
    _check_proof(agent_proof, has_agent=agent_id is not None)
    _check_image(photo)

    fee_amount = _check_money(
        data.fee_amount if data.fee_amount is not None else Decimal(settings.INTAKE_MANAGEMENT_FEE),
        field_name="fee_amount",
        label=_("退管费金额"),
        positive=False,
    )
    receipt_number = data.fee_receipt_number.strip()
    if not receipt_number:
        raise IntakeError(_("请填写退管费收据号。"), field="fee_receipt_number")
    if len(receipt_number) > 40:
        raise IntakeError(_("收据号不能超过40个字符。"), field="fee_receipt_number")
    if ManagementFeeReceipt.objects.filter(receipt_number=receipt_number).exists():
        raise IntakeError(
            _("收据号 %(number)s 已经用过,请核对收据。") % {"number": receipt_number},
            field="fee_receipt_number",
        )

    # Pension is due from the month after retirement; months whose plan is already made are arrears.
    entitlement = PensionMonth.of(data.retirement_date).next()
    open_month = first_open_month(today, settings.PAYOUT_PLAN_DAY)
    regular_from = max(open_month, entitlement)
    adjustments = tuple(
        adjustments_recomputed(
            facts=PersonFacts(
                birth_date=resident_id.birth_date,
                retirement_date=data.retirement_date,
                contribution_months=data.contribution_months,
                # A person taken in has no flags yet: a flag's extra follows when a clerk sets it.
                flag_codes=frozenset(),
                status=Retiree.Status.ACTIVE,
                died_on=None,
            ),
            rates=[RateEntry(month=entitlement, amount=initial_amount, is_adjustment=False)],
            from_month=entitlement,
        )
    )
    arrears = tuple(
        _arrears_month(entitlement.plus(i), initial_amount, adjustments)
        for i in range(entitlement.months_until(regular_from))
    )

    return IntakePlan(
        name=name,
        resident_id=resident_id,
        community=community,
        employer=employer,
        new_employer_name=new_employer_name,
        bank=bank,
        account_number=account_number,
        holder_name=holder_name,
        initial_amount=initial_amount,
        fee_amount=fee_amount,
        entitlement_month=entitlement,
        regular_payment_from=regular_from,
        arrears=arrears,
        has_agent=agent_id is not None,
        agent_id=agent_id,
        warnings=resident_id.warnings,
        adjustments=adjustments,
    )


def _arrears_month(
    month: PensionMonth, initial_amount: Decimal, adjustments: tuple[AdjustedRate, ...]
) -> IntakeArrears:
    """The month's due amount: the newest adjustment in force by then (each is computed on the one
    before), else the initial amount."""
    in_force = [item for item in adjustments if item.month <= month]
    if not in_force:
        return IntakeArrears(month=month, amount=initial_amount, rise=Decimal("0.00"))
    newest = in_force[-1]
    return IntakeArrears(month=month, amount=newest.amount, rise=newest.amount - initial_amount)


# The write --------------------------------------------------------------------------------------------------


def _file_name(upload: UploadedFile[bytes], stem: str) -> str:
    """A random name: a stored file's name must not give away whose it is."""
    suffix = (upload.name or "").rsplit(".", 1)[-1].lower() if "." in (upload.name or "") else "bin"
    return f"{stem}-{uuid.uuid4().hex}.{suffix}"


@transaction.atomic
def retiree_intake(
    *,
    data: IntakeData,
    photo: UploadedFile[bytes] | None,
    agent_proof: UploadedFile[bytes] | None,
    by: Staff,
) -> Retiree:
    """Register a newly retired person: the record, the initial rate, the bank account, the agent, the
    management fee receipt, the certificate number, the search keys and the arrears before intake."""
    today = timezone.localdate()
    plan = intake_check(data=data, photo=photo, agent_proof=agent_proof, by=by, today=today)
    stored_files: list[str] = []
    try:
        retiree = _write(
            plan=plan,
            data=data,
            photo=photo,
            agent_proof=agent_proof,
            by=by,
            today=today,
            stored_files=stored_files,
        )
    except IntegrityError:
        _delete_files(stored_files)
        # Only a concurrent intake of the same person or receipt gets here: the checks above passed.
        raise IntakeError(
            _("刚才有人同时登记了同一身份证号码或同一收据号,本次未保存。请刷新后核对。"), field="id_number"
        ) from None
    except BaseException:
        _delete_files(stored_files)
        raise
    return retiree


def _month(month: PensionMonth) -> Any:
    """A PensionMonth for a PensionMonthField: the stubs see an IntegerField and expect an int."""
    return month


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _write(
    *,
    plan: IntakePlan,
    data: IntakeData,
    photo: UploadedFile[bytes] | None,
    agent_proof: UploadedFile[bytes] | None,
    by: Staff,
    today: datetime.date,
    stored_files: list[str],
) -> Retiree:
    employer = plan.employer or (
        Employer.objects.create(name=plan.new_employer_name) if plan.new_employer_name else None
    )
    remote = data.residence == Retiree.Residence.REMOTE
    retiree = Retiree(
        id_number=plan.resident_id.number,
        id_number_original=plan.resident_id.original,
        name=plan.name,
        sex=plan.resident_id.sex,
        birth_date=plan.resident_id.birth_date,
        phone=data.phone.strip(),
        address=data.address.strip(),
        community=plan.community,
        residence=data.residence,
        remote_province=data.remote_province.strip() if remote else "",
        remote_city=data.remote_city.strip() if remote else "",
        remote_address=data.remote_address.strip() if remote else "",
        employer=employer,
        work_start_date=data.work_start_date,
        retirement_date=data.retirement_date,
        contribution_months=data.contribution_months,
        regular_payment_from=_month(plan.regular_payment_from),
        status=Retiree.Status.ACTIVE,
    )
    # Taken last among the checks' consequences and inside this transaction: a refusal or a rollback
    # leaves the sequence as it was.
    retiree.certificate_number = certificate_number_take(
        county_code=county_code_of(plan.community), year=today.year
    )
    if photo is not None:
        retiree.photo.save(_file_name(photo, "photo"), photo, save=False)
        stored_files.append(str(retiree.photo.name))
    retiree.save()

    PensionRate.objects.create(
        retiree=retiree,
        amount=plan.initial_amount,
        effective_month=_month(plan.entitlement_month),
        reason=PensionRate.Reason.INITIAL,
        note=_("登记时初次核定"),
        created_by=by,
    )
    # The adjustments after the initial rate; one in the entitlement month itself comes after it there.
    PensionRate.objects.bulk_create(
        PensionRate(
            retiree=retiree,
            amount=adjusted.amount,
            effective_month=_month(adjusted.month),
            revision=1 if adjusted.month == plan.entitlement_month else 0,
            reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
            note=adjusted.note[:200],
            created_by=by,
        )
        for adjusted in plan.adjustments
    )
    BankAccount.objects.create(
        retiree=retiree,
        bank=plan.bank,
        account_number=plan.account_number,
        holder_name=plan.holder_name,
        is_current=True,
        valid_from=today,
        created_by=by,
    )
    if plan.has_agent and plan.agent_id is not None:
        agent = Agent(
            retiree=retiree,
            name=normalise_name(data.agent_name),
            id_number=plan.agent_id.number,
            relation=data.agent_relation.strip(),
            phone=data.agent_phone.strip(),
            is_current=True,
            valid_from=today,
            created_by=by,
        )
        if agent_proof is not None:
            agent.proof_document.save(_file_name(agent_proof, "proof"), agent_proof, save=False)
            stored_files.append(str(agent.proof_document.name))
        agent.save()
    ManagementFeeReceipt.objects.create(
        retiree=retiree,
        amount=plan.fee_amount,
        receipt_number=data.fee_receipt_number.strip(),
        paid_on=data.fee_paid_on,
        received_by=by,
    )
    ArrearsItem.objects.bulk_create(
        ArrearsItem(
            retiree=retiree,
            month=_month(item.month),
            amount=item.amount,
            reason=ArrearsItem.Reason.INTAKE,
            note=_("登记前应发月份"),
            created_by=by,
        )
        for item in plan.arrears
    )
    retiree_search_keys_rebuild(retiree_ids=[retiree.pk])
    return retiree
