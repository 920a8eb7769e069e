"""Deaths and what follows (docs/benefits.md): the death registration (死亡登记) with maker-checker, the dated
parameters of the family's claim, and the claim itself (丧葬补助金 + 抚恤金).

Writes go through benefits.services; the money a death moves (recoveries, withheld and unpaid months, the
one-off payment) is recorded by pensions and the retiree's status by registry, through their services.
"""

from __future__ import annotations

import pghistory
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from certification.models import DeathMatch
from pensions.models import OneOffPayment
from registry.fields import money_field
from registry.id_numbers import validate_resident_id
from registry.models import Bank, Recovery, Retiree, Staff, append_only

_DOCUMENTS = "deaths/%Y/%m/"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class DeathRegistration(models.Model):
    """A retiree's death as the bureau records it: reported (a township officer, for their township),
    recorded by a clerk with the documents, confirmed by someone else. Confirmation changes the status and
    the money at once (benefits.services.death_registration_confirm); a wrong death is corrected, never
    deleted."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("乡镇已报告")
        PENDING = "pending", _("待复核")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已退回")
        CORRECTED = "corrected", _("已更正(误报)")

    class Source(models.TextChoices):
        FAMILY = "family", _("家属到柜台报告")
        TOWNSHIP = "township", _("乡镇(街道)报告")
        DEATHS_LIST = "deaths_list", _("死亡名单比对")

    retiree = models.ForeignKey(
        Retiree, verbose_name=_("退休人员"), on_delete=models.PROTECT, related_name="death_registrations"
    )
    died_on = models.DateField(_("死亡日期"))
    source = models.CharField(_("信息来源"), max_length=12, choices=Source.choices)
    death_match = models.ForeignKey(
        DeathMatch,
        verbose_name=_("死亡名单比对记录"),
        on_delete=models.PROTECT,
        related_name="registrations",
        null=True,
        blank=True,
    )
    reporter_name = models.CharField(_("报告人"), max_length=50, blank=True)
    reporter_relation = models.CharField(_("与死者关系"), max_length=20, blank=True)
    reporter_phone = models.CharField(_("报告人电话"), max_length=30, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    cremation_certificate = models.FileField(_("死亡或火化证明"), upload_to=_DOCUMENTS, blank=True)
    burial_certificate = models.FileField(_("安葬证明"), upload_to=_DOCUMENTS, blank=True)
    deceased_id_copy = models.FileField(_("死者身份证复印件"), upload_to=_DOCUMENTS, blank=True)
    reporter_id_copy = models.FileField(_("报告人身份证复印件"), upload_to=_DOCUMENTS, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)

    reported_by = models.ForeignKey(
        Staff,
        verbose_name=_("报告人(乡镇)"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        Staff, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        Staff, verbose_name=_("复核人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_note = models.CharField(_("复核意见"), max_length=300, blank=True)
    corrected_by = models.ForeignKey(
        Staff, verbose_name=_("更正人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)
    correction_reason = models.CharField(_("更正原因"), max_length=300, blank=True)

    # What the confirmation did to money (benefits.services): the after-death recovery it opened, and a
    # summary of the months (due, recovered, withheld payable, dropped) as shown on the death tab.
    recovery = models.OneToOneField(
        Recovery,
        verbose_name=_("死亡后多发追回项"),
        on_delete=models.PROTECT,
        related_name="death_registration",
        null=True,
        blank=True,
    )
    settlement = models.JSONField(_("待遇处理结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("死亡登记")
        verbose_name_plural = _("死亡登记")
        ordering = ["-id"]
        constraints = [
            # One death in progress or in force per retiree: the same death registered twice is refused.
            models.UniqueConstraint(
                fields=["retiree"],
                condition=Q(status__in=["reported", "pending", "confirmed"]),
                name="deathregistration_one_open_per_retiree",
            ),
            # Four eyes: whoever recorded it never confirms or rejects it.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("recorded_by")),
                name="deathregistration_decider_is_not_recorder",
            ),
            models.CheckConstraint(
                condition=Q(status="reported") | Q(recorded_by__isnull=False, recorded_at__isnull=False),
                name="deathregistration_recorded_has_recorder",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "rejected", "corrected"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="deathregistration_decided_has_decider",
            ),
            models.CheckConstraint(
                condition=~Q(status="corrected")
                | (Q(corrected_by__isnull=False, corrected_at__isnull=False) & ~Q(correction_reason="")),
                name="deathregistration_correction_recorded",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="deathregistration_status"),
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(
                fields=["recorded_at", "id"], name="deathreg_recorded", condition=Q(recorded_at__isnull=False)
            ),
            models.Index(
                fields=["decided_at", "id"], name="deathreg_decided", condition=Q(decided_at__isnull=False)
            ),
            models.Index(
                fields=["corrected_at", "id"],
                name="deathreg_corrected",
                condition=Q(corrected_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.retiree_id} {self.died_on} {self.get_status_display()}"


class BenefitParameter(models.Model):
    """A dated parameter of the family's claim, as the admin sets it in the app. Rows are never changed: the
    newest row of a (kind, year) is in force and the older ones are its history.

    - funeral_allowance: the funeral allowance (丧葬补助金) in yuan, for deaths in `year`;
    - compensation_months: N, the months of the survivor compensation (抚恤金), for deaths in `year`;
    - published_average: the county average monthly pension of `year` as published; when set it wins over the
      figure computed from the paid lines (used for deaths in year + 1). A row with no value clears it."""

    class Kind(models.TextChoices):
        FUNERAL_ALLOWANCE = "funeral_allowance", _("丧葬补助金标准")
        COMPENSATION_MONTHS = "compensation_months", _("抚恤金月数")
        PUBLISHED_AVERAGE = "published_average", _("公布的月人均基本养老金")

    kind = models.CharField(_("参数"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("依据或说明"), max_length=200, blank=True)
    set_by = models.ForeignKey(Staff, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设置时间"))

    class Meta:
        verbose_name = _("丧葬抚恤参数")
        verbose_name_plural = _("丧葬抚恤参数")
        ordering = ["kind", "-year", "-set_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True, kind="published_average") | Q(value__gt=0),
                name="benefitparameter_value_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="compensation_months") | Q(value__lte=60),
                name="benefitparameter_months_reasonable",
            ),
            models.CheckConstraint(condition=Q(year__gte=1990, year__lte=2100), name="benefitparameter_year"),
        ]
        indexes = [models.Index(fields=["kind", "year", "-set_at"], name="benefitparameter_in_force")]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}: {self.value}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class SurvivorClaim(models.Model):
    """The family's claim after a confirmed death (丧葬抚恤待遇): funeral allowance + survivor compensation +
    the months due to the deceased that were withheld or not yet paid, less an after-death recovery set off
    with the applicant's consent. Amounts are computed by benefits.services, never typed; a clerk prepares,
    someone else approves, and the approved claim is paid once by a one-off payment (pensions)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已审批")
        PAID = "paid", _("已发放")
        CANCELLED = "cancelled", _("已撤销")

    registration = models.OneToOneField(
        DeathRegistration, verbose_name=_("死亡登记"), on_delete=models.PROTECT, related_name="claim"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)

    applicant_name = models.CharField(_("申请人"), max_length=50)
    applicant_relation = models.CharField(_("与死者关系"), max_length=20)
    applicant_id_number = models.CharField(
        _("申请人身份证号码"), max_length=18, db_collation="C", validators=[validate_resident_id]
    )
    applicant_phone = models.CharField(_("申请人电话"), max_length=30)
    bank = models.ForeignKey(Bank, verbose_name=_("收款银行"), on_delete=models.PROTECT, related_name="+")
    account_number = models.CharField(_("收款账号"), max_length=32, db_collation="C")
    holder_name = models.CharField(_("收款户名"), max_length=50)
    applicant_id_copy = models.FileField(_("申请人身份证复印件"), upload_to=_DOCUMENTS, blank=True)
    relation_proof = models.FileField(_("亲属关系证明"), upload_to=_DOCUMENTS, blank=True)

    # The computation, as stored when the claim was last computed (benefits.services.claim_compute).
    death_year = models.PositiveSmallIntegerField(_("死亡年度"))
    funeral_allowance = money_field(_("丧葬补助金"))
    compensation_months = models.PositiveSmallIntegerField(_("抚恤金月数"))
    average_year = models.PositiveSmallIntegerField(_("月人均养老金年度"))
    average_computed = money_field(_("系统计算的月人均养老金"), null=True, blank=True)
    average_published = money_field(_("公布的月人均养老金"), null=True, blank=True)
    average_used = money_field(_("采用的月人均养老金"))
    compensation = money_field(_("抚恤金"))
    withheld_amount = money_field(_("暂停发放期间应发"))
    unpaid_amount = money_field(_("死亡前应发未发及未发补发"))
    offset_consent = models.CharField(_("同意抵扣记录"), max_length=200, blank=True)
    offset_amount = money_field(_("抵扣死亡后多发"), default=0)
    total = money_field(_("实付金额"))

    prepared_by = models.ForeignKey(
        Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(_("经办时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Staff, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    payment = models.OneToOneField(
        OneOffPayment,
        verbose_name=_("一次性支付"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("丧葬抚恤待遇")
        verbose_name_plural = _("丧葬抚恤待遇")
        ordering = ["-id"]
        constraints = [
            # Four eyes in the database: the approver never prepared the claim.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="survivorclaim_approver_is_not_preparer",
            ),
            models.CheckConstraint(
                condition=Q(
                    compensation=F("average_used") * F("compensation_months"),
                    total=F("funeral_allowance")
                    + F("compensation")
                    + F("withheld_amount")
                    + F("unpaid_amount")
                    - F("offset_amount"),
                    total__gte=0,
                    offset_amount__gte=0,
                ),
                name="survivorclaim_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(offset_amount=0) | ~Q(offset_consent=""),
                name="survivorclaim_offset_has_consent",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"])
                | Q(approved_by__isnull=False, approved_at__isnull=False, payment__isnull=False),
                name="survivorclaim_approved_is_signed",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="survivorclaim_status")]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.applicant_name} ¥{self.total}"


class ClaimTransition(models.Model):
    """Every move of a claim (prepared, submitted, approved, rejected back to draft, cancelled, paid): who and
    when, for the claim's page and the county-wide audit log. `by` is empty for a move the bank's answer made
    (paid). Append-only."""

    claim = models.ForeignKey(SurvivorClaim, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(
        _("原状态"), max_length=10, blank=True, choices=SurvivorClaim.Status.choices
    )
    to_status = models.CharField(_("新状态"), max_length=10, choices=SurvivorClaim.Status.choices)
    by = models.ForeignKey(
        Staff, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("丧葬抚恤待遇状态变更")
        verbose_name_plural = _("丧葬抚恤待遇状态变更")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at", "id"], name="claimtransition_at")]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.from_status} → {self.to_status}"
