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
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Collate
from django.utils.translation import gettext_lazy as _

from .fields import PensionMonthField, money_field
from .id_numbers import mask_resident_id, validate_resident_id
from .jobs import JobFields

# Rates and status changes are history: a correction is a new row, never an edit (docs/domain.md, "Money
# rules").
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
    """A bureau or township account: one role, one org unit (docs/domain.md "Who uses it")."""

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

    # db_collation "C" lets one B-tree serve both prefix search and ORDER BY (docs/technical-notes.md); so
    # the varchar_pattern_ops index Django adds beside a unique CharField is dropped (migration 0019), here
    # and on certificate_number.
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

    # No index of its own: retiree_community_status (community, status) serves every lookup by community,
    # and each index on this table is written by every import and mass status update (docs/import.md).
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="retirees",
        limit_choices_to={"kind": OrgUnit.Kind.COMMUNITY},
        db_index=False,
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
    photo = models.ImageField(_("照片"), upload_to="photos/%Y/", blank=True)
    # The first month payout plans pay regularly. Months from entitlement (the month after retirement) up to
    # this one are paid as arrears, so a month is never both planned and paid as arrears. Empty for people
    # brought over from the old system: plans pay them from their first rate on.
    regular_payment_from = PensionMonthField(_("按月发放起始月份"), null=True, blank=True)

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
            # The list's sorts (registry.selectors.retirees): names in pinyin order (ICU's Chinese collation)
            # and retirement dates, each ending on the id so a page is a LIMIT over the index, never a sort.
            models.Index(Collate("name", "zh-x-icu"), F("id"), name="retiree_name_pinyin"),
            models.Index(fields=["retirement_date", "id"], name="retiree_retirement_date"),
            # The list without a search, in ID order: a township officer's or a status's people are a few per
            # cent of the county, so the ID order is walked past many others; with the scope and status in
            # the index the walk is index-only (no row read for those it skips), 1.1 s → ms for a page deep
            # in a small township at 1,000,000 (docs/page-speed.md).
            models.Index(
                fields=["id_number"], include=["community", "status", "id"], name="retiree_id_order_scope"
            ),
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
    # Its own index would repeat bankaccount_bank_current (bank, is_current), which starts with it.
    bank = models.ForeignKey(
        Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="accounts", db_index=False
    )
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
        indexes = [
            models.Index(fields=["bank", "is_current"], name="bankaccount_bank_current"),
            models.Index(fields=["account_number"], name="bankaccount_number"),
        ]

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


class FlagKind(models.Model):
    """A mark the county sets on people for its own rules (e.g. 高级职称, 艰苦边远地区): the annual
    adjustment's 倾斜 may add an amount per flag. The admin keeps the list; people's flags are imported or set
    by a clerk."""

    code = models.CharField(_("标记代码"), max_length=20, unique=True, db_collation="C")
    name = models.CharField(_("标记名称"), max_length=50, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("人员标记")
        verbose_name_plural = _("人员标记")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Za-z0-9_]+$"), name="flagkind_code_plain")
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    # The audit log reads the events newest first by the moment a flag was set or removed, a page at a time.
    meta={
        "indexes": [
            models.Index(Coalesce("removed_at", "added_at"), F("pgh_id"), name="retireeflagevent_time"),
        ]
    },
)
class RetireeFlag(models.Model):
    """One flag on one person, from when it was set until it was removed (the row is kept: history)."""

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="flags")
    kind = models.ForeignKey(FlagKind, verbose_name=_("标记"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("依据或说明"), max_length=200, blank=True)
    added_by = models.ForeignKey(Staff, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("设置时间"))
    removed_by = models.ForeignKey(
        Staff, verbose_name=_("取消人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removed_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("人员标记记录")
        verbose_name_plural = _("人员标记记录")
        ordering = ["retiree", "kind", "-added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["retiree", "kind"],
                condition=Q(removed_at__isnull=True),
                name="retireeflag_one_current",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removed_by__isnull=True)
                | Q(removed_at__isnull=False, removed_by__isnull=False),
                name="retireeflag_removed_with_who",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.retiree_id} {self.kind_id}"


@pghistory.track(pghistory.InsertEvent())
class PensionRate(models.Model):
    """The monthly amount from a month on. A new amount is a new row; rows are never edited."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("初次核定")
        ANNUAL_ADJUSTMENT = "annual_adjustment", _("年度调待")
        INDIVIDUAL_ADJUSTMENT = "individual_adjustment", _("零星调资")
        CORRECTION = "correction", _("更正")

    # Its own index would repeat pensionrate_one_per_month_revision (retiree, month, revision), which starts
    # with it; every import and annual adjustment writes a rate per person.
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="rates", db_index=False)
    amount = money_field(_("月养老金"), validators=[MinValueValidator(Decimal("0.00"))])
    effective_month = PensionMonthField(_("起始月份"))
    # A month's rate corrected later (an annual adjustment recomputed after a back-dated change) is a new row
    # for the same month with the next revision: the rate in force for a month is the row with the newest
    # (effective_month, revision) not after it (docs/annual-adjustment.md). 0 for a month's first row.
    revision = models.PositiveSmallIntegerField(_("修订序号"), default=0, db_default=0)
    reason = models.CharField(_("原因"), max_length=30, choices=Reason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("养老金标准")
        verbose_name_plural = _("养老金标准")
        ordering = ["-effective_month", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["retiree", "effective_month", "revision"], name="pensionrate_one_per_month_revision"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pensionrate_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(effective_month__gte=190001, effective_month__lte=299912),
                name="pensionrate_month_in_range",
            ),
        ]
        # The county-wide audit view lists rate changes newest first, by (time, id), without counting.
        indexes = [models.Index(fields=["created_at", "id"], name="pensionrate_time")]
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
    # A transfer out (转出) names the bureau that takes the person over; empty for every other change.
    counterpart = models.CharField(_("转入地经办机构"), max_length=100, blank=True)
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


class RetireeSearchKey(models.Model):
    """What the search box matches, kept beside the retiree rather than on it: every index on the
    retiree table makes the mass status updates (suspension, restoration) slower (docs/technical-notes.md),
    and these keys change only with the name. Derived data, rebuilt from registry.search.search_keys_for."""

    class Kind(models.TextChoices):
        NAME = "n", _("姓名")  # the whole name, matched by prefix
        PINYIN = "p", _("全拼")  # one row per reading of the name (曾 zeng/ceng), by prefix
        INITIALS = "i", _("首字母")  # zw, cw …, by prefix
        PIECE = "s", _("姓名片段")  # every 1–2 character piece of the name, exact: finds 伟 in 张伟

    # No surrogate id and no foreign-key constraint: ~9 rows per person make this the largest write of a bulk
    # import, and each cost a B-tree or a per-row check (docs/search.md "The key table"). The primary key
    # (retiree, kind, key) also serves "the keys of this person" (rebuild after a rename); the services that
    # delete or rename a retiree delete its keys (Django's CASCADE below, retiree_search_keys_rebuild).
    pk = models.CompositePrimaryKey("retiree_id", "kind", "key")
    retiree = models.ForeignKey(
        Retiree,
        on_delete=models.CASCADE,
        related_name="search_keys",
        db_constraint=False,
        db_index=False,
    )
    kind = models.CharField(max_length=1, choices=Kind.choices)
    # "C" collation lets the B-tree serve LIKE 'zhangw%' as a range scan.
    key = models.CharField(max_length=64, db_collation="C")

    class Meta:
        verbose_name = _("检索键")
        verbose_name_plural = _("检索键")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "retiree"], name="searchkey_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class SensitiveView(models.Model):
    """Each time someone is shown a full ID or account number (lists and pages show them masked)."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("身份证号码")
        ACCOUNT_NUMBER = "account_number", _("银行账号")

    staff = models.ForeignKey(Staff, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="+")
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="sensitive_views")
    field = models.CharField(_("查看内容"), max_length=20, choices=Field.choices)
    viewed_at = models.DateTimeField(_("查看时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = _("敏感信息查看记录")
        ordering = ["-viewed_at"]
        indexes = [
            models.Index(fields=["retiree", "-viewed_at"], name="sensitiveview_retiree"),
            # The county-wide audit view pages by (time, id) without counting (registry.selectors.audit_log).
            models.Index(fields=["viewed_at", "id"], name="sensitiveview_time"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.field} {self.viewed_at:%Y-%m-%d %H:%M}"


class CertificatePrint(models.Model):
    """Each printing of a retiree's benefit certificate (待遇证): the first after intake and every reprint.
    The certificate carries the full ID number and is handed to the person, so who printed it and when is
    kept with the record (its audit tab) and never changed."""

    class Channel(models.TextChoices):
        PAGE = "page", _("页面")
        API = "api", _("接口")

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="certificate_prints")
    certificate_number = models.CharField(_("待遇证号"), max_length=30, db_collation="C")
    printed_by = models.ForeignKey(
        Staff, verbose_name=_("打印人"), on_delete=models.PROTECT, related_name="+"
    )
    printed_at = models.DateTimeField(_("打印时间"))
    channel = models.CharField(_("打印方式"), max_length=8, choices=Channel.choices)

    class Meta:
        verbose_name = _("待遇证打印记录")
        verbose_name_plural = _("待遇证打印记录")
        ordering = ["-printed_at", "-id"]
        indexes = [
            models.Index(fields=["retiree", "-printed_at"], name="certificateprint_retiree"),
            # The county-wide audit log reads printings along (time, id) (registry.selectors.audit_log).
            models.Index(fields=["printed_at", "id"], name="certificateprint_time"),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.certificate_number} {self.printed_by} {self.printed_at:%Y-%m-%d %H:%M}"


class SensitiveExport(models.Model):
    """Each file (xlsx, PDF, upload file) taken out of the system with full ID, account or agent ID numbers in
    it: who, when, which export with which filters, plan or batch, for how many people, and why. Files are
    masked unless a role with VIEW_SENSITIVE states a purpose (registry.services.sensitive_export_numbers);
    bank files are the exception and are recorded as pensions' BankFileDownload (docs/personal-data.md)."""

    class Purpose(models.TextChoices):
        BANK_RECONCILIATION = "bank_reconciliation", _("与银行核对发放")
        DATA_CORRECTION = "data_correction", _("核对更正人员信息")
        AUDIT = "audit", _("审计检查")
        AUTHORITY_REQUEST = "authority_request", _("上级部门或司法机关依法调取")
        REMOTE_CERTIFICATION = "remote_certification", _("异地协助认证(上传退管系统、邮寄认证表)")
        OTHER = "other", _("其他(须说明)")

    staff = models.ForeignKey(Staff, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(_("导出时间"))
    # What was exported: a stable code ("pensions.plan_lines") and the words a reader sees
    # ("2026-04 发放明细").
    export = models.CharField(_("导出项目代码"), max_length=60)
    label = models.CharField(_("导出内容"), max_length=200)
    # Filters, plan, batch: whatever the caller narrowed the file by, as it was asked.
    detail = models.JSONField(_("导出条件"), default=dict, blank=True)
    person_count = models.PositiveIntegerField(_("人数"))
    purpose = models.CharField(_("用途"), max_length=30, choices=Purpose.choices)
    purpose_note = models.CharField(_("用途说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("完整号码导出记录")
        verbose_name_plural = _("完整号码导出记录")
        ordering = ["-exported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(purpose="other") | ~Q(purpose_note=""), name="sensitiveexport_other_explained"
            ),
        ]
        indexes = [
            models.Index(fields=["exported_at", "id"], name="sensitiveexport_time"),
            models.Index(fields=["staff", "exported_at"], name="sensitiveexport_staff"),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.staff} {self.label} {self.exported_at:%Y-%m-%d %H:%M}"


class CertificateSequence(models.Model):
    """The last benefit certificate number issued in a year. Numbers are taken under a row lock and never
    reused, even when the intake that took one is rolled back later by a correction."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("待遇证号序列")
        verbose_name_plural = _("待遇证号序列")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


@pghistory.track(pghistory.InsertEvent())
class ManagementFeeReceipt(models.Model):
    """The management fee (退管费) a retiree or employer paid at intake, with its receipt."""

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="fee_receipts")
    amount = money_field(_("金额"), validators=[MinValueValidator(Decimal("0.00"))])
    receipt_number = models.CharField(_("收据号"), max_length=40, unique=True)
    paid_on = models.DateField(_("缴费日期"))
    received_by = models.ForeignKey(
        Staff, verbose_name=_("收款人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("退管费收据")
        verbose_name_plural = _("退管费收据")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="feereceipt_amount_not_negative")
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.receipt_number} ¥{self.amount}"


class ChangeRequest(models.Model):
    """A maker-checker change of a retiree's basic information (seed 000 §5). Only approval applies it."""

    class Field(models.TextChoices):
        NAME = "name", _("姓名")
        ID_NUMBER = "id_number", _("身份证号码")
        BIRTH_DATE = "birth_date", _("出生日期")
        WORK_START_DATE = "work_start_date", _("参加工作时间")
        CONTRIBUTION_MONTHS = "contribution_months", _("缴费月数")
        CONTACT = "contact", _("联系方式")
        RESIDENCE = "residence", _("居住地")
        BANK_ACCOUNT = "bank_account", _("银行账户")
        AGENT = "agent", _("委托代办人")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="change_requests")
    field = models.CharField(_("变更项目"), max_length=20, choices=Field.choices)
    old_value = models.JSONField(_("原值"))
    new_value = models.JSONField(_("新值"))
    reason = models.CharField(_("变更原因"), max_length=300)
    # Empty only for items that need no proof (services.changes.DOCUMENT_NOT_REQUIRED: contact details).
    document = models.FileField(_("证明材料扫描件"), upload_to="changes/%Y/%m/", blank=True)
    approval_reference = models.CharField(_("人社局审批文号"), max_length=60, blank=True)
    # Birth date, work start date and contribution months change the amount (零星调资): the new amount and
    # its first month.
    new_amount = money_field(_("调整后月养老金"), null=True, blank=True)
    effective_month = PensionMonthField(_("调整起始月份"), null=True, blank=True)

    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        Staff, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        Staff, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("信息变更申请")
        verbose_name_plural = _("信息变更申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retiree", "field"], condition=Q(status="pending"), name="changerequest_one_pending"
            ),
            # Four eyes, in the database as well as in the service.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="changerequest_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | Q(~Q(status="pending"), decided_by__isnull=False, decided_at__isnull=False),
                name="changerequest_decided_has_checker",
            ),
            models.CheckConstraint(
                condition=Q(new_amount__isnull=True, effective_month__isnull=True)
                | Q(new_amount__isnull=False, effective_month__isnull=False, new_amount__gte=0),
                name="changerequest_amount_with_month",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-requested_at"], name="changerequest_status"),
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(
                fields=["decided_at", "id"],
                name="changerequest_decided",
                condition=Q(decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.retiree.name} {self.get_field_display()} {self.get_status_display()}"


@pghistory.track(pghistory.InsertEvent())
class ArrearsItem(models.Model):
    """Money owed to a retiree for one past month (补发): months before intake, a back-dated rise, withheld
    months released on restoration. The payout plan releases each item exactly once (pensions)."""

    class Reason(models.TextChoices):
        INTAKE = "intake", _("登记前应发月份")
        RATE_CHANGE = "rate_change", _("调整标准补差")
        RESTORATION = "restoration", _("恢复发放补发")
        FAILED_PAYMENT = "failed_payment", _("发放失败重发")
        # A month up to the death month that no approved plan paid: due, paid to the family with the claim.
        DUE_BEFORE_DEATH = "due_before_death", _("死亡前应发未发")
        # The year's rise for a month already paid (or withheld) at the old rate (the annual adjustment).
        ANNUAL_ADJUSTMENT = "annual_adjustment", _("年度调待补发")

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="arrears")
    month = PensionMonthField(_("所属月份"))
    amount = money_field(_("补发金额"))
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="arrears"
    )
    # The year of the annual adjustment whose rise this is (reason annual_adjustment only): the rise of a
    # year is owed once per person and month, whichever run applied it.
    adjustment_year = models.PositiveSmallIntegerField(_("调待年度"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("补发项")
        verbose_name_plural = _("补发项")
        ordering = ["month", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="arrears_amount_positive"),
            models.UniqueConstraint(
                fields=["retiree", "month"],
                condition=Q(reason="intake"),
                name="arrears_intake_once_per_month",
            ),
            models.UniqueConstraint(
                fields=["change_request", "month"],
                condition=Q(change_request__isnull=False),
                name="arrears_change_once_per_month",
            ),
            models.UniqueConstraint(
                fields=["retiree", "adjustment_year", "month"],
                condition=Q(reason="annual_adjustment"),
                name="arrears_adjustment_once_per_month",
            ),
            models.CheckConstraint(
                condition=Q(reason="annual_adjustment", adjustment_year__isnull=False)
                | (~Q(reason="annual_adjustment") & Q(adjustment_year__isnull=True)),
                name="arrears_adjustment_has_year",
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.month} +¥{self.amount}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Recovery(models.Model):
    """Money a retiree (or their estate) owes back (追回): a back-dated fall, pension drawn after death.
    Deducted from later payouts, refunded or written off (pensions and benefits keep its balance)."""

    class Reason(models.TextChoices):
        RATE_CHANGE = "rate_change", _("调整标准多发")
        AFTER_DEATH = "after_death", _("死亡后多发")
        OTHER = "other", _("其他多发")

    class Status(models.TextChoices):
        OPEN = "open", _("待追回")
        SETTLED = "settled", _("已追回")
        WRITTEN_OFF = "written_off", _("已核销")
        # Opened by a death that was then corrected (the person is alive): nothing was owed.
        CANCELLED = "cancelled", _("已撤销")

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="recoveries")
    amount = money_field(_("应追回金额"))
    from_month = PensionMonthField(_("起始月份"))
    to_month = PensionMonthField(_("截止月份"))
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    change_request = models.OneToOneField(
        ChangeRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="recovery"
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("追回项")
        verbose_name_plural = _("追回项")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
            models.CheckConstraint(
                condition=Q(from_month__lte=models.F("to_month")), name="recovery_months_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_month}–{self.to_month} -¥{self.amount}"


class ImportBatch(JobFields):
    """An upload of existing retirees from the county's old system: checked in a dry run, then imported
    whole or not at all. Its check and its import are worker jobs (registry.jobs)."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        CHECKING = "checking", _("校验中")
        CHECKED = "checked", _("校验完成")
        IMPORTING = "importing", _("导入中")
        IMPORTED = "imported", _("已导入")
        FAILED = "failed", _("失败")
        # The worker died mid-job (registry.jobs sweeper): nothing was written; the clerk may run it again.
        INTERRUPTED = "interrupted", _("任务中断")

    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    good_rows = models.PositiveIntegerField(_("合格行数"), default=0)
    bad_rows = models.PositiveIntegerField(_("问题行数"), default=0)
    imported_rows = models.PositiveIntegerField(_("已导入行数"), default=0)
    # The first problems for the preview page; every rejected row is in rejected_file.
    problems = models.JSONField(_("问题摘要"), default=list, blank=True)
    # The file's header row as read by the dry run: the import rebuilds the rejected-rows file from the
    # staged rows without the file (ImportStagedRow).
    headers = models.JSONField(_("表头"), default=list, blank=True)
    rejected_file = models.FileField(_("问题行文件"), upload_to="imports/%Y/%m/", blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    uploaded_by = models.ForeignKey(
        Staff, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        Staff, verbose_name=_("确认导入人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # When the imported people's search keys were written, right after the import's commit by the same job
    # (import_batch_index_names): until then they are found by ID number but not yet by name or pinyin.
    names_indexed_at = models.DateTimeField(_("姓名检索就绪时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"


class ImportStagedRow(models.Model):
    """One data row of a checked import file, as the dry run left it: a good row in the registry's types
    with the retiree id reserved for it, or a rejected row with its reasons. The import moves the good rows
    into the registry with INSERT … SELECT instead of reading the file again (docs/import.md); the rows of
    a batch are deleted when it is imported or fails, and replaced when it is checked again. Scratch data:
    no history, and ids of units and banks without constraints (the import re-checks what can change)."""

    pk = models.CompositePrimaryKey("batch_id", "row_number")
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+", db_index=False)
    row_number = models.PositiveIntegerField()  # as Excel shows it: the header is row 1
    # Every cell as text in the file's column order (a JSON list), for the rejected-rows file.
    cells = models.TextField()
    # Null for a good row; the Chinese reasons of a rejected one.
    reasons = models.JSONField(null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    # The normalised 18 characters of a good row; a rejected row's cell as given.
    id_number = models.CharField(max_length=100, blank=True)
    retiree_id = models.BigIntegerField(null=True, blank=True)
    id_number_original = models.CharField(max_length=15, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    community_id = models.BigIntegerField(null=True, blank=True)
    residence = models.CharField(max_length=10, blank=True)
    remote_province = models.CharField(max_length=30, blank=True)
    remote_city = models.CharField(max_length=50, blank=True)
    remote_address = models.CharField(max_length=200, blank=True)
    employer_name = models.CharField(max_length=200, blank=True)
    work_start_date = models.DateField(null=True, blank=True)
    retirement_date = models.DateField(null=True, blank=True)
    contribution_months = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    start_month = PensionMonthField(null=True, blank=True)
    bank_id = models.BigIntegerField(null=True, blank=True)
    account_number = models.CharField(max_length=32, blank=True)
    holder_name = models.CharField(max_length=50, blank=True)
    certificate_number = models.CharField(max_length=30, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, blank=True)

    class Meta:
        verbose_name = _("导入暂存行")
        verbose_name_plural = _("导入暂存行")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class RetireeCount(models.Model):
    """How many retirees each community has per status and retirement year: the home pages' head counts and
    the certification progress page's "due" come from these few thousand rows instead of a scan of the
    registry (docs/page-speed.md).

    Derived, never written by Python: statement-level triggers on registry_retiree (migration
    0014_retiree_counts) add the inserted rows, move the updated ones and take away the deleted ones in the
    same statement, so the counts are right inside the writing transaction too, whatever wrote (services,
    import COPY, admin). `manage.py rebuild_progress_counts` remakes the table from the registry (after a
    load with the triggers off). A key whose count fell to 0 keeps its row until the next rebuild."""

    community_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    retired_year = models.IntegerField()
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("人数统计")
        verbose_name_plural = _("人数统计")
        constraints = [
            models.UniqueConstraint(
                fields=["community_id", "status", "retired_year"], name="retiree_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.status}/{self.retired_year}: {self.n}"


class ExportJob(JobFields):
    """A file export made by the worker (docs/exports.md): a list too long to write inside a web request.

    `kind` names an export registered with registry.exports.register_export (the apps register theirs), and
    `parameters` are what the list was narrowed by, as JSON, so the worker makes exactly the list the page
    showed. Only the person who asked may download the file, and only while their role still may make it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("生成失败")
        INTERRUPTED = "interrupted", _("任务中断")
        EXPIRED = "expired", _("已过期删除")

    kind = models.CharField(_("导出类型"), max_length=60)
    label = models.CharField(_("名称"), max_length=200)
    parameters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        Staff, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="export_jobs"
    )
    created_at = models.DateTimeField(_("提交时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    # Full numbers: the purpose stated when it was asked for (docs/personal-data.md); masked when empty.
    full_numbers = models.BooleanField(_("完整号码"), default=False)
    purpose = models.CharField(_("完整号码用途"), max_length=20, blank=True)
    purpose_note = models.CharField(_("用途说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="exportjob_requester_idx"),
            models.Index(fields=["status", "finished_at"], name="exportjob_status_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()})"
