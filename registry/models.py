"""The registry: org units, staff, retirees and what the bureau records about each of them.

Writes go through registry.services; these classes hold fields and the invariants the database can keep.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
import pgtrigger
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .fields import PensionMonthField, money_field
from .id_numbers import mask_resident_id, validate_resident_id

# Rates and status changes are history: a correction is a new row, never an edit (DOMAIN.md "Money rules").
append_only = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class OrgUnit(models.Model):
    """A node of the county → township → community tree. Staff see the subtree of their unit."""

    class Kind(models.TextChoices):
        COUNTY = "county", _("县社保局")
        TOWNSHIP = "township", _("乡镇(街道)")
        COMMUNITY = "community", _("社区(村居)")

    code = models.CharField(_("单位编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("层级"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="county", parent__isnull=True) | Q(~Q(kind="county"), parent__isnull=False),
                name="orgunit_only_county_is_root",
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="orgunit_unique_name_under_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Staff(AbstractUser):
    """A bureau or township account: one role, one org unit (DOMAIN.md "Who uses it")."""

    class Role(models.TextChoices):
        BUREAU_ADMIN = "bureau_admin", _("社保局系统管理员")
        BUREAU_CLERK = "bureau_clerk", _("社保局经办人员")
        FINANCE_REVIEWER = "finance_reviewer", _("复核/财务")
        TOWNSHIP_STAFF = "township_staff", _("乡镇(社区)经办人员")
        AUDITOR = "auditor", _("审计(只读)")

    # Blank means no role yet: such an account can sign in but sees and does nothing.
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        full_name = f"{self.last_name}{self.first_name}".strip()
        return full_name or self.username

    @property
    def display_name(self) -> str:
        return str(self)


class Employer(models.Model):
    """A former employer (原单位) that handed its retirees over to the bureau."""

    name = models.CharField(_("单位名称"), max_length=200, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("原单位")
        verbose_name_plural = _("原单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Bank(models.Model):
    """A bank that pays pensions, with the channel it pays through (seed 000 §3.2)."""

    class Channel(models.TextChoices):
        SYSTEM_DIRECT = "system_direct", _("系统直发")
        EBANK_DIRECT = "ebank_direct", _("网银直发")
        AGENCY = "agency", _("银行代发")

    code = models.CharField(_("银行编码"), max_length=20, unique=True)
    name = models.CharField(_("银行名称"), max_length=100, unique=True)
    channel = models.CharField(_("发放渠道"), max_length=20, choices=Channel.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("发放银行")
        verbose_name_plural = _("发放银行")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)
class Retiree(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("正常发放")
        SUSPENDED = "suspended", _("暂停发放")
        DECEASED = "deceased", _("死亡")
        TERMINATED = "terminated", _("终止")

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Residence(models.TextChoices):
        LOCAL = "local", _("本地居住")
        REMOTE = "remote", _("异地居住")

    # db_collation "C" lets one B-tree serve both prefix search and ORDER BY (NOTES.md, measured).
    id_number = models.CharField(
        _("身份证号码"), max_length=18, unique=True, db_collation="C", validators=[validate_resident_id]
    )
    id_number_original = models.CharField(
        _("原15位身份证号码"), max_length=15, blank=True, help_text=_("由15位升为18位时保留原号码")
    )
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("本地住址"), max_length=200, blank=True)

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="retirees",
        limit_choices_to={"kind": OrgUnit.Kind.COMMUNITY},
    )
    residence = models.CharField(
        _("居住类型"), max_length=10, choices=Residence.choices, default=Residence.LOCAL
    )
    remote_province = models.CharField(_("居住省份"), max_length=30, blank=True)
    remote_city = models.CharField(_("居住城市"), max_length=50, blank=True)
    remote_address = models.CharField(_("异地居住地址"), max_length=200, blank=True)

    employer = models.ForeignKey(
        Employer,
        verbose_name=_("原单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retirees",
    )
    work_start_date = models.DateField(_("参加工作时间"), null=True, blank=True)
    retirement_date = models.DateField(_("退休时间"))
    contribution_months = models.PositiveIntegerField(_("缴费月数"), default=0)
    certificate_number = models.CharField(
        _("待遇证号"), max_length=30, unique=True, null=True, blank=True, db_collation="C"
    )

    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    died_on = models.DateField(_("死亡日期"), null=True, blank=True)

    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("退休人员")
        verbose_name_plural = _("退休人员")
        ordering = ["id_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(residence="local") | ~Q(remote_address=""), name="retiree_remote_has_address"
            ),
            models.CheckConstraint(
                condition=~Q(status="deceased") | Q(died_on__isnull=False), name="retiree_deceased_has_date"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="retiree_community_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({mask_resident_id(self.id_number)})"

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_number)

    @property
    def years_of_contribution(self) -> Decimal:
        return (Decimal(self.contribution_months) / 12).quantize(Decimal("0.1"))


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class BankAccount(models.Model):
    """An account pensions are paid into. One is current per retiree; earlier ones are kept as history."""

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="bank_accounts")
    bank = models.ForeignKey(Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="accounts")
    account_number = models.CharField(
        _("账号/存折号"),
        max_length=32,
        db_collation="C",
        validators=[RegexValidator(r"^\d{8,32}$", _("账号应为8至32位数字。"))],
    )
    holder_name = models.CharField(_("户名"), max_length=50)
    is_current = models.BooleanField(_("当前账户"), default=True)
    valid_from = models.DateField(_("启用日期"))
    valid_until = models.DateField(_("停用日期"), null=True, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("银行账户")
        verbose_name_plural = _("银行账户")
        ordering = ["-is_current", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retiree"], condition=Q(is_current=True), name="bankaccount_one_current_per_retiree"
            ),
            models.CheckConstraint(
                condition=Q(is_current=True, valid_until__isnull=True) | Q(is_current=False),
                name="bankaccount_current_is_open",
            ),
        ]
        indexes = [models.Index(fields=["bank", "is_current"], name="bankaccount_bank_current")]

    def __str__(self) -> str:
        return f"{self.bank} {self.account_number}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Agent(models.Model):
    """Someone who collects or certifies for a retiree who cannot come (委托代办人), with proof."""

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="agents")
    name = models.CharField(_("代办人姓名"), max_length=50)
    id_number = models.CharField(_("代办人身份证号码"), max_length=18, validators=[validate_resident_id])
    relation = models.CharField(_("与本人关系"), max_length=20)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    proof_document = models.FileField(_("委托证明"), upload_to="agents/%Y/", blank=True)
    is_current = models.BooleanField(_("当前有效"), default=True)
    valid_from = models.DateField(_("委托日期"))
    valid_until = models.DateField(_("终止日期"), null=True, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("委托代办人")
        verbose_name_plural = _("委托代办人")
        ordering = ["-is_current", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retiree"], condition=Q(is_current=True), name="agent_one_current_per_retiree"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.relation})"


@pghistory.track(pghistory.InsertEvent())
class PensionRate(models.Model):
    """The monthly amount from a month on. A new amount is a new row; rows are never edited."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("初次核定")
        ANNUAL_ADJUSTMENT = "annual_adjustment", _("年度调待")
        INDIVIDUAL_ADJUSTMENT = "individual_adjustment", _("零星调资")
        CORRECTION = "correction", _("更正")

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="rates")
    amount = money_field(_("月养老金"), validators=[MinValueValidator(Decimal("0.00"))])
    effective_month = PensionMonthField(_("起始月份"))
    reason = models.CharField(_("原因"), max_length=30, choices=Reason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("养老金标准")
        verbose_name_plural = _("养老金标准")
        ordering = ["-effective_month"]
        constraints = [
            models.UniqueConstraint(fields=["retiree", "effective_month"], name="pensionrate_one_per_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pensionrate_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(effective_month__gte=190001, effective_month__lte=299912),
                name="pensionrate_month_in_range",
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.effective_month} ¥{self.amount}"


@pghistory.track(pghistory.InsertEvent())
class StatusChange(models.Model):
    """Every change of a retiree's status, with its date, reason and who made it."""

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=12, choices=Retiree.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Retiree.Status.choices)
    effective_date = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=200)
    actor = models.ForeignKey(Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="statuschange_changes"
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class RegistrySnapshot(models.Model):
    """Head count per township and status on a day, taken nightly for the home page's trend."""

    taken_on = models.DateField(_("统计日期"))
    township = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=Retiree.Status.choices)
    count = models.PositiveIntegerField(_("人数"))

    class Meta:
        verbose_name = _("人数快照")
        verbose_name_plural = _("人数快照")
        constraints = [
            models.UniqueConstraint(fields=["taken_on", "township", "status"], name="snapshot_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.taken_on} {self.township} {self.status}={self.count}"
