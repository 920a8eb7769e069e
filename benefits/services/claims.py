"""The family's claim after a confirmed death (丧葬抚恤待遇, docs/claims.md): a clerk prepares it with the
applicant's details and documents, the amounts are computed (never typed), someone else approves it, and the
approval makes the one-off payment that pays it.

total = funeral allowance + average × N + withheld months + unpaid months − offset, where the offset is taken
from the open after-death recovery only with the applicant's consent recorded. The figures are computed from
benefits.selectors.parameters.claim_parameters, pensions.selectors.deaths.death_months and the recovery's
balance; the approver's figures are checked again when they approve.

Every move goes through `_move` (one door), which records a ClaimTransition: who, when, from and to.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pensions.models import OneOffPayment
from pensions.selectors.deaths import DeathMonths, death_months
from pensions.selectors.recoveries import recovery_balance
from pensions.services.death_payables import death_payables_settle
from pensions.services.one_off import one_off_payment_add
from pensions.services.recoveries import recovery_offset_record
from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.formats import yuan
from registry.id_numbers import parse_resident_id
from registry.models import Bank, Recovery, Staff
from registry.uploads import KIND_OF_SUFFIX, scan_kind

from ..errors import BenefitError
from ..models import ClaimTransition, DeathRegistration, SurvivorClaim
from ..selectors.parameters import ClaimParameters, claim_parameters

Status = SurvivorClaim.Status
ZERO = Decimal("0.00")
_PHONE_CHARACTERS = set("0123456789-+ ()")


@dataclass(frozen=True)
class ClaimApplicant:
    """Who claims and where the money goes, as the clerk typed it."""

    name: str
    relation: str
    id_number: str
    phone: str
    bank_id: int | None
    account_number: str
    holder_name: str
    # The applicant's consent to set the after-death recovery off against the claim, as recorded (e.g. "申请人
    # 2026-11-20 签字同意抵扣,见申请表第 2 页"). Empty: no offset.
    offset_consent: str = ""


@dataclass(frozen=True)
class ClaimFigures:
    """The amounts of a claim, as a page showed them to the approver (checked again on approval)."""

    funeral_allowance: Decimal
    compensation_months: int
    average_used: Decimal
    compensation: Decimal
    withheld_amount: Decimal
    unpaid_amount: Decimal
    offset_amount: Decimal
    total: Decimal

    @classmethod
    def of(cls, claim: SurvivorClaim) -> ClaimFigures:
        return cls(
            funeral_allowance=claim.funeral_allowance,
            compensation_months=claim.compensation_months,
            average_used=claim.average_used,
            compensation=claim.compensation,
            withheld_amount=claim.withheld_amount,
            unpaid_amount=claim.unpaid_amount,
            offset_amount=claim.offset_amount,
            total=claim.total,
        )


@dataclass(frozen=True)
class ClaimComputation:
    """Everything a claim's amounts come from, computed now."""

    parameters: ClaimParameters
    months: DeathMonths
    compensation: Decimal
    withheld_amount: Decimal
    unpaid_amount: Decimal
    recovery: Recovery | None  # the open after-death recovery, if any
    recovery_balance: Decimal
    offset_amount: Decimal
    total: Decimal

    def figures(self) -> ClaimFigures:
        return ClaimFigures(
            funeral_allowance=self.parameters.funeral_allowance,
            compensation_months=self.parameters.compensation_months,
            average_used=self.parameters.average_used,
            compensation=self.compensation,
            withheld_amount=self.withheld_amount,
            unpaid_amount=self.unpaid_amount,
            offset_amount=self.offset_amount,
            total=self.total,
        )


def claim_compute(*, registration: DeathRegistration, offset_consent: str) -> ClaimComputation:
    """The claim's amounts now (reads only). Refused with a clear message when a parameter is missing."""
    parameters = claim_parameters(death_year=registration.died_on.year)
    months = death_months(retiree=registration.retiree, died_on=registration.died_on)
    compensation = parameters.average_used * parameters.compensation_months
    withheld = months.withheld_total
    unpaid = months.unpaid_total
    before_offset = parameters.funeral_allowance + compensation + withheld + unpaid
    recovery = registration.recovery
    balance = ZERO
    if recovery is not None and recovery.status == Recovery.Status.OPEN:
        balance = max(recovery_balance(recovery=recovery), ZERO)
    else:
        recovery = None
    offset = min(balance, before_offset) if offset_consent.strip() else ZERO
    return ClaimComputation(
        parameters=parameters,
        months=months,
        compensation=compensation,
        withheld_amount=withheld,
        unpaid_amount=unpaid,
        recovery=recovery,
        recovery_balance=balance,
        offset_amount=offset,
        total=before_offset - offset,
    )


# Checks -----------------------------------------------------------------------------------------------------


def _text(value: str, *, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise BenefitError(_("请填写%(label)s。") % {"label": label}, field=field)
    if len(value) > max_length:
        raise BenefitError(
            _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": max_length}, field=field
        )
    return value


def _checked_applicant(applicant: ClaimApplicant) -> dict[str, object]:
    """The claim's applicant fields, normalised, or a refusal naming the field."""
    name = _text(applicant.name, field="applicant_name", label=_("申请人姓名"), max_length=50)
    relation = _text(applicant.relation, field="applicant_relation", label=_("与死者关系"), max_length=20)
    try:
        id_number = parse_resident_id(applicant.id_number).number
    except ValidationError as error:
        raise BenefitError(" ".join(error.messages), field="applicant_id_number") from None
    phone = (applicant.phone or "").strip()
    if not phone:
        raise BenefitError(_("请填写申请人电话。"), field="applicant_phone")
    if not set(phone) <= _PHONE_CHARACTERS or sum(ch.isdigit() for ch in phone) < 7 or len(phone) > 30:
        raise BenefitError(_("联系电话应为7位以上的数字(可含“-”)。"), field="applicant_phone")
    if applicant.bank_id is None:
        raise BenefitError(_("请选择收款银行。"), field="bank")
    bank = Bank.objects.filter(pk=applicant.bank_id, is_active=True).first()
    if bank is None:
        raise BenefitError(_("所选银行不存在或已停用。"), field="bank")
    account = "".join((applicant.account_number or "").split())
    if not (account.isascii() and account.isdigit() and 8 <= len(account) <= 32):
        raise BenefitError(_("收款账号应为8至32位数字。"), field="account_number")
    holder = _text(applicant.holder_name, field="holder_name", label=_("收款户名"), max_length=50)
    consent = (applicant.offset_consent or "").strip()
    if len(consent) > 200:
        raise BenefitError(_("同意抵扣记录不能超过 200 个字。"), field="offset_consent")
    return {
        "applicant_name": name,
        "applicant_relation": relation,
        "applicant_id_number": id_number,
        "applicant_phone": phone,
        "bank": bank,
        "account_number": account,
        "holder_name": holder,
        "offset_consent": consent,
    }


def _checked_scan(document: UploadedFile[bytes] | None, *, field: str, label: str) -> None:
    """A scanned document is what its name says, by its content (registry.uploads.scan_kind), as the other
    scans of the system are checked."""
    if document is None or not document.name:
        raise BenefitError(_("请上传%(label)s扫描件(PDF、JPG 或 PNG)。") % {"label": label}, field=field)
    suffix = "." + document.name.rsplit(".", 1)[-1].lower() if "." in document.name else ""
    expected = KIND_OF_SUFFIX.get(suffix)
    if expected is None:
        raise BenefitError(_("%(label)s只能是 PDF、JPG 或 PNG 文件。") % {"label": label}, field=field)
    limit = settings.CHANGE_REQUEST_DOCUMENT_MAX_BYTES
    if document.size is None or document.size > limit:
        raise BenefitError(
            _("%(label)s不能超过 %(mb)s MB。") % {"label": label, "mb": f"{limit / 1024 / 1024:g}"},
            field=field,
        )
    if scan_kind(document) != expected:
        raise BenefitError(
            _("%(label)s的内容与文件类型不符,请上传真实的扫描件。") % {"label": label}, field=field
        )


def _require_visible(by: Staff, registration: DeathRegistration) -> None:
    if not access.retirees_visible_to(by).filter(pk=registration.retiree_id).exists():
        raise BenefitError(_("该退休人员不在您的管辖范围内。"))


def _store(claim: SurvivorClaim, computation: ClaimComputation) -> None:
    params = computation.parameters
    claim.death_year = params.death_year
    claim.funeral_allowance = params.funeral_allowance
    claim.compensation_months = params.compensation_months
    claim.average_year = params.average_year
    claim.average_computed = params.average_computed
    claim.average_published = params.average_published
    claim.average_used = params.average_used
    claim.compensation = computation.compensation
    claim.withheld_amount = computation.withheld_amount
    claim.unpaid_amount = computation.unpaid_amount
    claim.offset_amount = computation.offset_amount
    claim.total = computation.total


_STORED_FIELDS = [
    "death_year",
    "funeral_allowance",
    "compensation_months",
    "average_year",
    "average_computed",
    "average_published",
    "average_used",
    "compensation",
    "withheld_amount",
    "unpaid_amount",
    "offset_amount",
    "total",
]


def _move(claim: SurvivorClaim, *, to: str, by: Staff | None, note: str = "", fields: list[str]) -> None:
    """The one door of a claim's status: save the status (and `fields`) and record who moved it, when."""
    from_status = claim.status if claim.pk else ""
    claim.status = to
    with pghistory.context(source=f"claim_{to}", user=by.pk if by else None):
        claim.save(update_fields=["status", *fields])
        ClaimTransition.objects.create(
            claim=claim, from_status=from_status, to_status=to, by=by, at=timezone.now(), note=note[:300]
        )


def _locked(claim: SurvivorClaim) -> SurvivorClaim:
    # Lock the claim row: two reviewers approving at once (or an approval and a cancellation) would both find
    # it submitted; the second waits here and then finds it moved on, so the family is paid once.
    return (
        SurvivorClaim.objects.select_for_update(of=("self",))
        .select_related("registration__retiree__community", "registration__recovery")
        .get(pk=claim.pk)
    )


def _require_status(claim: SurvivorClaim, *allowed: str) -> None:
    if claim.status not in allowed:
        raise BenefitError(
            _("该丧葬抚恤待遇是“%(status)s”状态,不能进行此操作。") % {"status": Status(claim.status).label}
        )


# Services ---------------------------------------------------------------------------------------------------


@transaction.atomic
def claim_prepare(
    *,
    registration: DeathRegistration,
    applicant: ClaimApplicant,
    applicant_id_copy: UploadedFile[bytes] | None,
    relation_proof: UploadedFile[bytes] | None,
    by: Staff,
) -> SurvivorClaim:
    """A clerk records the family's claim for a confirmed death, one per registration; its amounts are
    computed now (a draft, recomputed on every update and on submission)."""
    access.require(by, Action.EDIT_REGISTRY)
    _require_visible(by, registration)
    # Lock the registration: two clerks preparing at once would both find no claim (the one-to-one key
    # would refuse the second with an error instead of this message).
    locked = (
        DeathRegistration.objects.select_for_update(of=("self",))
        .select_related("retiree", "recovery")
        .get(pk=registration.pk)
    )
    if locked.status != DeathRegistration.Status.CONFIRMED:
        raise BenefitError(_("只有已确认的死亡登记才能办理丧葬抚恤待遇。"))
    if SurvivorClaim.objects.filter(registration=locked).exists():
        raise BenefitError(_("该死亡登记已办理丧葬抚恤待遇,不能重复办理。"))
    fields = _checked_applicant(applicant)
    _checked_scan(applicant_id_copy, field="applicant_id_copy", label=_("申请人身份证复印件"))
    _checked_scan(relation_proof, field="relation_proof", label=_("亲属关系证明"))
    computation = claim_compute(registration=locked, offset_consent=str(fields["offset_consent"]))
    claim = SurvivorClaim(registration=locked, prepared_by=by, prepared_at=timezone.now(), **fields)
    _store(claim, computation)
    claim.applicant_id_copy = applicant_id_copy
    claim.relation_proof = relation_proof
    claim.status = Status.DRAFT
    with pghistory.context(source="claim_prepare", user=by.pk):
        claim.save()
        ClaimTransition.objects.create(
            claim=claim, from_status="", to_status=Status.DRAFT, by=by, at=claim.prepared_at
        )
    return claim


@transaction.atomic
def claim_update(
    *,
    claim: SurvivorClaim,
    applicant: ClaimApplicant,
    applicant_id_copy: UploadedFile[bytes] | None = None,
    relation_proof: UploadedFile[bytes] | None = None,
    by: Staff,
) -> SurvivorClaim:
    """Change a draft's applicant details (a document sent replaces the stored one) and compute it again."""
    access.require(by, Action.EDIT_REGISTRY)
    locked = _locked(claim)
    _require_visible(by, locked.registration)
    _require_status(locked, Status.DRAFT)
    fields = _checked_applicant(applicant)
    if applicant_id_copy is not None:
        _checked_scan(applicant_id_copy, field="applicant_id_copy", label=_("申请人身份证复印件"))
        locked.applicant_id_copy = applicant_id_copy
    if relation_proof is not None:
        _checked_scan(relation_proof, field="relation_proof", label=_("亲属关系证明"))
        locked.relation_proof = relation_proof
    for name, value in fields.items():
        setattr(locked, name, value)
    _store(locked, claim_compute(registration=locked.registration, offset_consent=locked.offset_consent))
    with pghistory.context(source="claim_update", user=by.pk):
        locked.save(update_fields=[*fields, *_STORED_FIELDS, "applicant_id_copy", "relation_proof"])
    return locked


@transaction.atomic
def claim_recompute(*, claim: SurvivorClaim, by: Staff) -> SurvivorClaim:
    """Compute a draft's amounts again (a new parameter, a plan approved since)."""
    access.require(by, Action.EDIT_REGISTRY)
    locked = _locked(claim)
    _require_visible(by, locked.registration)
    _require_status(locked, Status.DRAFT)
    _store(locked, claim_compute(registration=locked.registration, offset_consent=locked.offset_consent))
    with pghistory.context(source="claim_recompute", user=by.pk):
        locked.save(update_fields=_STORED_FIELDS)
    return locked


@transaction.atomic
def claim_submit(*, claim: SurvivorClaim, by: Staff) -> SurvivorClaim:
    """Send a draft for approval, its amounts computed once more so the approver sees today's figures."""
    access.require(by, Action.EDIT_REGISTRY)
    locked = _locked(claim)
    _require_visible(by, locked.registration)
    _require_status(locked, Status.DRAFT)
    if locked.registration.status != DeathRegistration.Status.CONFIRMED:
        raise BenefitError(_("该死亡登记已不是“已确认”状态,不能提交丧葬抚恤待遇。"))
    if not locked.applicant_id_copy or not locked.relation_proof:
        raise BenefitError(_("请先上传申请人身份证复印件和亲属关系证明。"))
    _store(locked, claim_compute(registration=locked.registration, offset_consent=locked.offset_consent))
    if locked.total <= 0:
        raise BenefitError(_("抵扣后实付金额为 0,无需支付;请核对抵扣后再提交。"), field="offset_consent")
    locked.submitted_at = timezone.now()
    locked.rejection_reason = ""
    _move(locked, to=Status.SUBMITTED, by=by, fields=[*_STORED_FIELDS, "submitted_at", "rejection_reason"])
    return locked


@transaction.atomic
def claim_approve(*, claim: SurvivorClaim, by: Staff, seen: ClaimFigures) -> SurvivorClaim:
    """Approve a submitted claim (someone other than its preparer) and pay it: the deceased's months owed up
    to the death month become arrears items (pensions.services.death_payables), the offset is recorded against
    after-death recovery, and one one-off payment of the total releases those items. All or nothing.

    `seen` is what the approver was shown: a claim whose figures differ from it, or whose figures computed
    now differ from the stored ones (a new parameter, a plan approved, a recovery paid since), is refused and
    goes back to the clerk to be computed again."""
    access.require(by, Action.APPROVE_PAYMENTS)
    locked = _locked(claim)
    _require_visible(by, locked.registration)
    _require_status(locked, Status.SUBMITTED)
    if locked.prepared_by_id == by.pk:
        raise BenefitError(_("不能审批自己经办的丧葬抚恤待遇,请由其他审核人员审批。"))
    registration = locked.registration
    if registration.status != DeathRegistration.Status.CONFIRMED:
        raise BenefitError(_("该死亡登记已不是“已确认”状态,不能审批丧葬抚恤待遇。"))
    stored = ClaimFigures.of(locked)
    if seen != stored:
        raise BenefitError(_("您审核时看到的金额与当前记录不一致,请刷新页面核对后再审批。"))
    now = claim_compute(registration=registration, offset_consent=locked.offset_consent)
    if now.figures() != stored:
        raise BenefitError(
            _(
                "自提交以来计算依据已变化(参数、发放计划或追回余额),实付金额应为 %(now)s 而不是 %(stored)s。"
                "请退回经办人重新计算。"
            )
            % {"now": yuan(now.total), "stored": yuan(stored.total)}
        )
    try:
        items = death_payables_settle(retiree=registration.retiree, died_on=registration.died_on, by=by)
        if locked.offset_amount > 0:
            if now.recovery is None:  # the comparison above keeps this from happening
                raise BenefitError(_("没有待追回的死亡后多发追回项,不能抵扣。"))
            recovery_offset_record(
                recovery=now.recovery,
                claim_id=locked.pk,
                amount=locked.offset_amount,
                consent=locked.offset_consent,
                by=by,
            )
        payment = one_off_payment_add(
            kind=OneOffPayment.Kind.DEATH_CLAIM,
            source_id=locked.pk,
            retiree=registration.retiree,
            payee_name=locked.holder_name,
            payee_id_number=locked.applicant_id_number,
            bank=locked.bank,
            account_number=locked.account_number,
            holder_name=locked.holder_name,
            amount=locked.total,
            by=by,
            arrears_items=items,
        )
    except DomainError as error:
        if isinstance(error, BenefitError):
            raise
        raise BenefitError(error.message, field=error.field) from error
    locked.payment = payment
    locked.approved_by = by
    locked.approved_at = timezone.now()
    _move(locked, to=Status.APPROVED, by=by, fields=["payment", "approved_by", "approved_at"])
    return locked


@transaction.atomic
def claim_reject(*, claim: SurvivorClaim, by: Staff, reason: str) -> SurvivorClaim:
    """Send a submitted claim back to its preparer as a draft, with the reason (never by the preparer)."""
    access.require(by, Action.APPROVE_PAYMENTS)
    reason = (reason or "").strip()
    if not reason:
        raise BenefitError(_("请填写退回原因。"), field="reason")
    if len(reason) > 300:
        raise BenefitError(_("退回原因不能超过 300 个字。"), field="reason")
    locked = _locked(claim)
    _require_visible(by, locked.registration)
    _require_status(locked, Status.SUBMITTED)
    if locked.prepared_by_id == by.pk:
        raise BenefitError(_("不能退回自己经办的丧葬抚恤待遇,请由其他审核人员处理。"))
    locked.rejection_reason = reason
    _move(locked, to=Status.DRAFT, by=by, note=reason, fields=["rejection_reason"])
    return locked


@transaction.atomic
def claim_cancel(*, claim: SurvivorClaim, by: Staff, reason: str) -> SurvivorClaim:
    """Cancel a claim not yet approved (the family withdrew it, or the death was corrected)."""
    access.require(by, Action.EDIT_REGISTRY)
    reason = (reason or "").strip()
    if not reason:
        raise BenefitError(_("请填写撤销原因。"), field="reason")
    if len(reason) > 300:
        raise BenefitError(_("撤销原因不能超过 300 个字。"), field="reason")
    locked = _locked(claim)
    _require_visible(by, locked.registration)
    _require_status(locked, Status.DRAFT, Status.SUBMITTED)
    _move(locked, to=Status.CANCELLED, by=by, note=reason, fields=[])
    return locked


@transaction.atomic
def claim_payment_result(*, payment: OneOffPayment) -> None:
    """The bank's answer on the claim's payment (pensions calls the kind's on_result in the return import's
    transaction): paid → the claim is paid; failed → it stays approved, and the batch's re-issue pays it
    again (the claim's page says so)."""
    if payment.payment_status != OneOffPayment.PaymentStatus.PAID:
        return
    claim = SurvivorClaim.objects.select_for_update().filter(pk=payment.source_id).first()
    if claim is None or claim.status != Status.APPROVED:
        return  # paid already (a re-issue answered after the original), nothing to move
    _move(claim, to=Status.PAID, by=None, note=_("银行回盘:已发放"), fields=[])
