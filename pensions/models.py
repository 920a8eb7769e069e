"""Payout plans: one plan a month, one line per retiree, and the ledger rows that tie arrears and recoveries
to the line that paid or deducted them (docs/domain.md "Monthly pension disbursement", docs/payouts.md).

Writes go through pensions.services; these classes hold fields and the invariants the database can keep.
"""

from __future__ import annotations

import pghistory
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from registry.fields import PensionMonthField, money_field
from registry.jobs import JobFields
from registry.models import ArrearsItem, Bank, OrgUnit, Recovery, Retiree, Staff, append_only


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class PayoutPlan(models.Model):
    """The payout of one month. Its totals are stored with it and always equal the sums of its lines."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审批")
        FUNDED = "funded", _("已拨付")
        EXPORTED = "exported", _("已生成银行文件")
        RECONCILED = "reconciled", _("已对账")

    month = PensionMonthField(_("发放月份"), unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)

    line_count = models.PositiveIntegerField(_("明细笔数"), default=0)
    regular_total = money_field(_("按月发放合计"), default=0)
    arrears_total = money_field(_("补发合计"), default=0)
    deduction_total = money_field(_("扣回合计"), default=0)
    withheld_total = money_field(_("暂停发放合计"), default=0)
    net_total = money_field(_("实发合计"), default=0)
    # Lines withheld (net 0). line_count − withheld_count people were paid this month, and regular_total −
    # withheld_total is what they were paid regularly: the county average monthly pension of a year comes
    # from these stored figures, never from a scan of the lines (benefits, docs/benefits.md).
    withheld_count = models.PositiveIntegerField(_("暂停发放笔数"), default=0)
    # sha256 of the lines in a fixed text form (pensions.services.plan_lines_digest), set at approval and
    # proven again at funding. From approval on the database refuses any change to the lines and totals
    # (migration 0014_approved_plans_are_frozen, docs/payouts.md).
    lines_hash = models.CharField(_("明细校验值"), max_length=64, blank=True)

    # Empty created_by means the beat job made it (shown as "系统", docs/payouts.md).
    created_by = models.ForeignKey(
        Staff, verbose_name=_("生成人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    generated_at = models.DateTimeField(_("生成时间"))
    # Who last made the lines again (empty: never regenerated, or the system did). With created_by and
    # submitted_by it names the plan's preparers, none of whom may approve it (docs/approvals.md).
    regenerated_by = models.ForeignKey(
        Staff, verbose_name=_("重新生成人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_by = models.ForeignKey(
        Staff, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Staff, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发放计划")
        verbose_name_plural = _("发放计划")
        ordering = ["-month"]
        constraints = [
            # Four eyes, in the database as well as in the service: the approver is none of the people who
            # prepared the plan (drafted it, last made it again, submitted it). docs/approvals.md.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("submitted_by")),
                name="payoutplan_approver_is_not_submitter",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (
                    (Q(created_by__isnull=True) | ~Q(approved_by=F("created_by")))
                    & (Q(regenerated_by__isnull=True) | ~Q(approved_by=F("regenerated_by")))
                ),
                name="payoutplan_approver_is_not_preparer",
            ),
            # From approval on, the plan carries who approved it and the hash of what they approved.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"])
                | Q(
                    submitted_by__isnull=False,
                    approved_by__isnull=False,
                    approved_at__isnull=False,
                    lines_hash__regex=r"^[0-9a-f]{64}$",
                ),
                name="payoutplan_approved_is_signed",
            ),
            models.CheckConstraint(
                condition=Q(
                    regular_total__gte=0,
                    arrears_total__gte=0,
                    deduction_total__gte=0,
                    withheld_total__gte=0,
                    net_total=F("regular_total")
                    + F("arrears_total")
                    - F("deduction_total")
                    - F("withheld_total"),
                ),
                name="payoutplan_totals_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.get_status_display()}"


@pghistory.track(pghistory.UpdateEvent())
class PayoutLine(models.Model):
    """What one retiree is paid for the plan's month, with the name, ID and account it is paid to as they
    were when the plan was made: later edits of the registry never change what was sent.

    A withheld line (suspended retiree) pays nothing: net 0, the regular amount recorded as withheld, no
    arrears released and no recovery deducted. Lines are inserted by plan generation in one statement; only
    their payment result changes later (tracked), so inserts are not copied into history. Once the plan is
    approved, the database refuses any other change (docs/payouts.md "An approved plan is frozen").
    """

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", _("待发放")
        PAID = "paid", _("已到账")
        FAILED = "failed", _("发放失败")

    # The unique (plan, retiree) index serves lookups by plan: no separate index on plan.
    plan = models.ForeignKey(PayoutPlan, on_delete=models.PROTECT, related_name="lines", db_index=False)
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="payout_lines")
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号码"), max_length=18, db_collation="C")
    # The snapshot's bank, township and community carry no key in the database (db_constraint=False): they
    # are copied from existing rows in the statement that makes the lines, banks and units are never deleted
    # (retirees and accounts hold PROTECT keys to them), and each key check costs about 4 s per million lines,
    # three of them nearly doubling the insert (docs/payouts.md, "Speed"). plan and retiree keep theirs.
    # Empty bank: the retiree had no current account; such a line blocks submission unless it is withheld.
    bank = models.ForeignKey(
        Bank,
        verbose_name=_("银行"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        db_index=False,
        db_constraint=False,
    )
    account_number = models.CharField(_("账号/存折号"), max_length=32, blank=True, db_collation="C")
    holder_name = models.CharField(_("户名"), max_length=50, blank=True)
    township = models.ForeignKey(
        OrgUnit,
        verbose_name=_("乡镇(街道)"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区(村居)"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    is_withheld = models.BooleanField(_("暂停发放"), default=False)
    regular = money_field(_("按月发放"))
    arrears = money_field(_("补发"), default=0)
    deduction = money_field(_("扣回"), default=0)
    withheld = money_field(_("暂停发放金额"), default=0)
    net = money_field(_("实发"))

    payment_status = models.CharField(
        _("发放结果"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    bank_reason = models.CharField(_("银行反馈"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        ordering = ["plan", "id"]
        indexes = [
            # The bank-file export reads a bank's sent lines in file order (pensions.bankfiles.sql_render):
            # straight off this index, no sort of a million lines. Withheld and zero lines are never sent.
            models.Index(
                fields=["plan", "bank", "id"],
                name="payoutline_export_order",
                condition=Q(is_withheld=False, net__gt=0),
            ),
            # The plan page reads a page of one plan's lines in line order, all or one township's: without
            # these the primary key is walked past every earlier plan's lines (twelve million a year at
            # 1,000,000).
            models.Index(fields=["plan", "id"], name="payoutline_plan_order"),
            models.Index(fields=["plan", "township", "id"], name="payoutline_plan_township"),
        ]
        constraints = [
            # Never two lines for one retiree and month.
            models.UniqueConstraint(fields=["plan", "retiree"], name="payoutline_one_per_retiree"),
            models.CheckConstraint(
                condition=Q(
                    is_withheld=False,
                    regular__gte=0,
                    arrears__gte=0,
                    deduction__gte=0,
                    withheld=0,
                    net__gte=0,
                    net=F("regular") + F("arrears") - F("deduction"),
                )
                | Q(
                    is_withheld=True,
                    regular__gte=0,
                    arrears=0,
                    deduction=0,
                    withheld=F("regular"),
                    net=0,
                ),
                name="payoutline_net_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(payment_status="pending") | Q(is_withheld=False),
                name="payoutline_withheld_is_not_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.net}"


class PlanTotal(models.Model):
    """A plan's subtotal for one bank or one township, stored with the plan (bank files and the funding
    request are checked against these)."""

    class Kind(models.TextChoices):
        BANK = "bank", _("按银行")
        TOWNSHIP = "township", _("按乡镇")

    plan = models.ForeignKey(PayoutPlan, on_delete=models.PROTECT, related_name="totals", db_index=False)
    kind = models.CharField(_("汇总方式"), max_length=10, choices=Kind.choices)
    # Empty bank: lines without a current account.
    bank = models.ForeignKey(
        Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="+", null=True
    )
    township = models.ForeignKey(
        OrgUnit, verbose_name=_("乡镇(街道)"), on_delete=models.PROTECT, related_name="+", null=True
    )
    line_count = models.PositiveIntegerField(_("笔数"))
    regular_total = money_field(_("按月发放合计"))
    arrears_total = money_field(_("补发合计"))
    deduction_total = money_field(_("扣回合计"))
    withheld_total = money_field(_("暂停发放合计"))
    net_total = money_field(_("实发合计"))

    class Meta:
        verbose_name = _("发放汇总")
        verbose_name_plural = _("发放汇总")
        ordering = ["plan", "kind", "bank", "township"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "bank", "township"],
                nulls_distinct=False,
                name="plantotal_one_per_key",
            ),
            models.CheckConstraint(
                condition=Q(
                    net_total=F("regular_total")
                    + F("arrears_total")
                    - F("deduction_total")
                    - F("withheld_total")
                ),
                name="plantotal_totals_add_up",
            ),
            models.CheckConstraint(
                condition=Q(kind="bank", township__isnull=True)
                | Q(kind="township", bank__isnull=True, township__isnull=False),
                name="plantotal_key_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.bank_id or self.township_id} ¥{self.net_total}"


class PlanTransition(models.Model):
    """Every change of a plan's state (and each regeneration of a draft), with who, when and why."""

    plan = models.ForeignKey(PayoutPlan, on_delete=models.PROTECT, related_name="transitions")
    # Empty from_status: the plan was created.
    from_status = models.CharField(_("原状态"), max_length=12, choices=PayoutPlan.Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=PayoutPlan.Status.choices)
    # Empty: the beat job (系统).
    by = models.ForeignKey(
        Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("时间"))
    reason = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        indexes = [
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(fields=["at", "id"], name="plantransition_at"),
        ]
        verbose_name = _("发放计划状态变更")
        verbose_name_plural = _("发放计划状态变更")
        ordering = ["plan", "at", "id"]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class ArrearsRelease(models.Model):
    """An arrears item paid by a plan line, or, for a deceased retiree, by the one-off payment of the family's
    claim. ArrearsItem rows are append-only, so the release is its own row; the one-to-one key makes
    "released exactly once" a fact of the database."""

    arrears_item = models.OneToOneField(ArrearsItem, on_delete=models.PROTECT, related_name="release")
    line = models.ForeignKey(
        PayoutLine, on_delete=models.PROTECT, related_name="arrears_releases", null=True, blank=True
    )
    one_off_payment = models.ForeignKey(
        "OneOffPayment", on_delete=models.PROTECT, related_name="arrears_releases", null=True, blank=True
    )

    class Meta:
        verbose_name = _("补发发放记录")
        verbose_name_plural = _("补发发放记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(line__isnull=False, one_off_payment__isnull=True)
                | Q(line__isnull=True, one_off_payment__isnull=False),
                name="arrearsrelease_by_line_or_one_off",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrears_item_id} → {self.line_id}"


@pghistory.track(pghistory.InsertEvent())
class WithheldRelease(models.Model):
    """A withheld line paid back as an arrears item when its retiree was restored (恢复并补发). One row per
    line and per item, so a withheld month is released once, whoever certifies and however often."""

    line = models.OneToOneField(PayoutLine, on_delete=models.PROTECT, related_name="withheld_release")
    arrears_item = models.OneToOneField(
        ArrearsItem, on_delete=models.PROTECT, related_name="withheld_release"
    )

    class Meta:
        verbose_name = _("暂停发放补发记录")
        verbose_name_plural = _("暂停发放补发记录")

    def __str__(self) -> str:
        return f"{self.line_id} → {self.arrears_item_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class RecoveryDeduction(models.Model):
    """An amount of a recovery deducted on a plan line. A recovery's balance is its amount less these."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="deductions")
    line = models.ForeignKey(PayoutLine, on_delete=models.PROTECT, related_name="recovery_deductions")
    amount = money_field(_("扣回金额"))

    class Meta:
        verbose_name = _("追回扣款")
        verbose_name_plural = _("追回扣款")
        constraints = [
            models.UniqueConstraint(fields=["recovery", "line"], name="recoverydeduction_once_per_line"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="recoverydeduction_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id} -¥{self.amount}"


# --- Funding, bank files and return files ---
# (pensions.services.funding, .bank_files, .returns; docs/payouts.md "Funding, bank files and return files")


def _shipped_profile_choices() -> list[tuple[str, str]]:
    from .bankfiles import SHIPPED_PROFILES

    return [(code, profile.name) for code, profile in SHIPPED_PROFILES.items()]


class BankFileProfileSetting(models.Model):
    """The payout file format of one bank: a shipped profile by its code, or the county's own profile as
    JSON (BankFileProfile.to_dict()). A bank without a setting gets generic_xlsx."""

    bank = models.OneToOneField(
        Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="file_profile_setting"
    )
    profile_code = models.CharField(
        _("内置格式"), max_length=20, blank=True, choices=_shipped_profile_choices()
    )
    profile = models.JSONField(_("自定义格式"), null=True, blank=True)
    updated_by = models.ForeignKey(
        Staff, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(_("设置时间"))

    class Meta:
        verbose_name = _("银行文件格式设置")
        verbose_name_plural = _("银行文件格式设置")
        constraints = [
            models.CheckConstraint(
                condition=(~Q(profile_code="") & Q(profile__isnull=True))
                | (Q(profile_code="") & Q(profile__isnull=False)),
                name="bankfileprofilesetting_code_or_profile",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} {self.profile_code or 'custom'}"


class Funding(models.Model):
    """The transfer of one bank's total from the fiscal special account (财政专户) to the bank's special
    account (银行专户) for a plan. Recorded once; a wrong record is a matter for finance, not an edit."""

    # Of a monthly plan or of a one-off batch, never both (funding_of_plan_or_batch).
    plan = models.ForeignKey(
        PayoutPlan, on_delete=models.PROTECT, related_name="fundings", db_index=False, null=True, blank=True
    )
    one_off_batch = models.ForeignKey(
        "OneOffBatch", on_delete=models.PROTECT, related_name="fundings", null=True, blank=True
    )
    bank = models.ForeignKey(Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("拨付金额"))
    reference_number = models.CharField(_("拨付凭证号"), max_length=64)
    transferred_on = models.DateField(_("拨付日期"))
    recorded_by = models.ForeignKey(
        Staff, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("资金拨付")
        verbose_name_plural = _("资金拨付")
        ordering = ["plan", "bank"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "bank"], name="funding_once_per_plan_bank"),
            models.UniqueConstraint(fields=["one_off_batch", "bank"], name="funding_once_per_batch_bank"),
            models.CheckConstraint(
                condition=Q(plan__isnull=False, one_off_batch__isnull=True)
                | Q(plan__isnull=True, one_off_batch__isnull=False),
                name="funding_of_plan_or_batch",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_amount_positive"),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.bank_id} ¥{self.amount}"


class BankFile(models.Model):
    """The payout file of one bank for a plan, kept byte for byte with its checksum and the profile it was
    written with (the return file is read with the same profile). One per plan and bank: exporting again
    returns this file, never a second payment."""

    # Of a monthly plan or of a one-off batch, never both (bankfile_of_plan_or_batch).
    plan = models.ForeignKey(
        PayoutPlan, on_delete=models.PROTECT, related_name="bank_files", db_index=False, null=True, blank=True
    )
    one_off_batch = models.ForeignKey(
        "OneOffBatch", on_delete=models.PROTECT, related_name="bank_files", null=True, blank=True
    )
    bank = models.ForeignKey(Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    # In the database, not on disk: the files of a plan are written in the same transaction as the plan's
    # move to "exported", so there is never a stored file without its row or the other way round.
    content = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    line_count = models.PositiveIntegerField(_("笔数"))
    total = money_field(_("金额合计"))
    profile_code = models.CharField(_("文件格式"), max_length=40)
    profile = models.JSONField(_("文件格式定义"))
    created_by = models.ForeignKey(
        Staff, verbose_name=_("生成人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("银行文件")
        verbose_name_plural = _("银行文件")
        ordering = ["plan", "bank"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "bank"], name="bankfile_one_per_plan_bank"),
            models.UniqueConstraint(fields=["one_off_batch", "bank"], name="bankfile_one_per_batch_bank"),
            models.CheckConstraint(
                condition=Q(plan__isnull=False, one_off_batch__isnull=True)
                | Q(plan__isnull=True, one_off_batch__isnull=False),
                name="bankfile_of_plan_or_batch",
            ),
            models.CheckConstraint(
                condition=Q(line_count__gt=0, total__gt=0, sha256__regex=r"^[0-9a-f]{64}$"),
                name="bankfile_not_empty",
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return self.name


class BankFileDownload(models.Model):
    """Each download of a bank file: who took the file that moves the money, and when."""

    bank_file = models.ForeignKey(BankFile, on_delete=models.PROTECT, related_name="downloads")
    by = models.ForeignKey(Staff, verbose_name=_("下载人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("下载时间"))

    class Meta:
        indexes = [
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(fields=["at", "id"], name="bankfiledownload_at"),
        ]
        verbose_name = _("银行文件下载记录")
        verbose_name_plural = _("银行文件下载记录")
        ordering = ["bank_file", "at", "id"]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.bank_file_id} {self.by_id} {self.at:%Y-%m-%d %H:%M}"


class ReturnFile(models.Model):
    """The bank's answer (回盘) to one bank file, as imported. One per bank file: the same file again is a
    no-op, a different one is refused (the lines already carry the first answer)."""

    bank_file = models.OneToOneField(BankFile, on_delete=models.PROTECT, related_name="return_file")
    name = models.CharField(_("文件名"), max_length=200, blank=True)
    content = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    paid_count = models.PositiveIntegerField(_("成功笔数"))
    paid_total = money_field(_("成功金额"))
    failed_count = models.PositiveIntegerField(_("失败笔数"))
    failed_total = money_field(_("失败金额"))
    imported_by = models.ForeignKey(
        Staff, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("导入时间"))

    class Meta:
        verbose_name = _("银行回盘文件")
        verbose_name_plural = _("银行回盘文件")
        ordering = ["bank_file"]
        triggers = [append_only]

    def __str__(self) -> str:
        return self.name or self.sha256[:12]


class FailedPaymentResolution(models.Model):
    """What was done about a line the bank failed: re-issued as an arrears item (paid by a later plan) or
    paid by hand after fixing the account. One row per line, so it is one of the two, never both, and never
    twice."""

    class Kind(models.TextChoices):
        REISSUED = "reissued", _("转入下月补发")
        PAID_BY_HAND = "paid_by_hand", _("手工发放")
        # A month after the retiree's death month: never due, so never paid again (and not a recovery).
        NOT_DUE = "not_due", _("死亡后月份不再发放")

    line = models.OneToOneField(PayoutLine, on_delete=models.PROTECT, related_name="failure_resolution")
    kind = models.CharField(_("处理方式"), max_length=14, choices=Kind.choices)
    arrears_item = models.OneToOneField(
        ArrearsItem, on_delete=models.PROTECT, related_name="failed_payment", null=True, blank=True
    )
    reference = models.CharField(_("发放凭证号"), max_length=64, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    by = models.ForeignKey(Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("发放失败处理")
        verbose_name_plural = _("发放失败处理")
        ordering = ["line"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="reissued", arrears_item__isnull=False, reference="", paid_on__isnull=True)
                | (
                    Q(kind="paid_by_hand", arrears_item__isnull=True, paid_on__isnull=False)
                    & ~Q(reference="")
                )
                | Q(kind="not_due", arrears_item__isnull=True, reference="", paid_on__isnull=True),
                name="failedpaymentresolution_kind_matches",
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.line_id} {self.kind}"


# --- Recoveries: refunds and write-offs ---
# (pensions.services.recoveries; docs/payouts.md "Recoveries: balance, refunds and write-off")


class RecoveryRefund(models.Model):
    """Money of a recovery paid back directly (by the retiree or the family) instead of deducted. A wrong
    record is corrected by finance, not edited: the rows are append-only."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field(_("退款金额"))
    reference = models.CharField(_("收款凭证号"), max_length=64)
    paid_on = models.DateField(_("退款日期"))
    # Who handed the money over at the counter (a family member for an after-death recovery); printed on the
    # receipt. Empty: the retiree themself.
    payer = models.CharField(_("缴款人"), max_length=50, blank=True)
    by = models.ForeignKey(Staff, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("追回退款")
        verbose_name_plural = _("追回退款")
        ordering = ["recovery", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recoveryrefund_amount_positive"),
            models.CheckConstraint(condition=~Q(reference=""), name="recoveryrefund_has_reference"),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.recovery_id} ¥{self.amount} {self.reference}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class WriteOffRequest(models.Model):
    """A clerk's request to write off the balance of a recovery (申请核销), decided by a reviewer who is
    neither the requester nor whoever recorded the recovery (docs/approvals.md). Approval writes the
    RecoveryWriteOff; rejection ends the request with the reviewer's note. At most one pending request per
    recovery."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="write_off_requests")
    reason = models.CharField(_("核销原因"), max_length=300)
    # The balance when the clerk asked: the reviewer sees whether it has moved since (refunds, plans).
    balance_at_request = money_field(_("申请时待追回余额"))
    # Copied in so the database itself can refuse the recovery's creator deciding on its write-off.
    recovery_created_by = models.ForeignKey(
        Staff, verbose_name=_("追回项登记人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        Staff, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        Staff, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("核销申请")
        verbose_name_plural = _("核销申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recovery"], condition=Q(status="pending"), name="writeoffrequest_one_pending"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="writeoffrequest_has_reason"),
            models.CheckConstraint(
                condition=Q(balance_at_request__gt=0), name="writeoffrequest_balance_positive"
            ),
            # Four eyes: the decider is neither the requester nor the recovery's creator (docs/approvals.md).
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="writeoffrequest_decider_is_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("recovery_created_by")),
                name="writeoffrequest_decider_is_not_creator",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | Q(~Q(status="pending"), decided_by__isnull=False, decided_at__isnull=False),
                name="writeoffrequest_decided_has_decider",
            ),
            # A rejection says why.
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_note=""),
                name="writeoffrequest_rejection_has_note",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="writeoffrequest_status"),
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(
                fields=["decided_at", "id"],
                name="writeoffrequest_rejected",
                condition=Q(status="rejected"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.get_status_display()}"


class RecoveryWriteOff(models.Model):
    """The balance of a recovery given up (核销): how much, why, who approved and when. One per recovery,
    written when a reviewer approves a WriteOffRequest (`request`; empty on write-offs decided before requests
    existed). The recovery's creator is copied in so the database itself can refuse a creator writing off
    their own."""

    recovery = models.OneToOneField(Recovery, on_delete=models.PROTECT, related_name="write_off")
    request = models.OneToOneField(
        WriteOffRequest,
        verbose_name=_("核销申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="write_off",
    )
    amount = money_field(_("核销金额"))
    reason = models.CharField(_("核销原因"), max_length=300)
    recovery_created_by = models.ForeignKey(
        Staff, verbose_name=_("追回项登记人"), on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(Staff, verbose_name=_("核销人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("核销时间"))

    class Meta:
        indexes = [
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(fields=["at", "id"], name="recoverywriteoff_at"),
        ]
        verbose_name = _("追回核销")
        verbose_name_plural = _("追回核销")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recoverywriteoff_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="recoverywriteoff_has_reason"),
            # Four eyes: never written off by whoever recorded the recovery (docs/approvals.md).
            models.CheckConstraint(
                condition=~Q(by=F("recovery_created_by")), name="recoverywriteoff_not_by_creator"
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.recovery_id} ¥{self.amount}"


# --- After-death recoveries: the months they are made of, and how they are followed up ---
# (pensions.services.after_death, pensions.services.recovery_follow_up; docs/benefits.md)


class RecoveryLine(models.Model):
    """One month of an after-death recovery (冒领/多发): the approved plan line that paid a month after the
    retiree's death month. One-to-one on the line: a month paid after death is recovered once."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="months")
    line = models.OneToOneField(PayoutLine, on_delete=models.PROTECT, related_name="recovery_line")
    month = PensionMonthField(_("所属月份"))
    amount = money_field(_("多发金额"))

    class Meta:
        verbose_name = _("死亡后多发月份")
        verbose_name_plural = _("死亡后多发月份")
        ordering = ["recovery", "month"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recoveryline_amount_positive"),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.month} ¥{self.amount}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class RecoveryClawback(models.Model):
    """A request to a bank to return money of a recovery from the deceased's account (银行协助退回), and what
    the bank returned. The returned amount lowers the recovery's balance."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已发函")
        RETURNED = "returned", _("银行已退回")
        REFUSED = "refused", _("银行未能退回")

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="clawbacks")
    bank = models.ForeignKey(Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="+")
    account_number = models.CharField(_("账号/存折号"), max_length=32, db_collation="C")
    holder_name = models.CharField(_("户名"), max_length=50, blank=True)
    requested_amount = money_field(_("请求退回金额"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        Staff, verbose_name=_("发函人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("发函时间"))
    returned_amount = money_field(_("银行退回金额"), null=True, blank=True)
    returned_on = models.DateField(_("退回日期"), null=True, blank=True)
    returned_reference = models.CharField(_("退回凭证号"), max_length=64, blank=True)
    result_by = models.ForeignKey(
        Staff, verbose_name=_("结果登记人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    result_at = models.DateTimeField(_("结果登记时间"), null=True, blank=True)
    # Why the bank could not return the money (a refused request), or a remark on a return.
    result_note = models.CharField(_("结果说明"), max_length=200, blank=True)

    class Meta:
        indexes = [
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(fields=["requested_at", "id"], name="clawback_requested"),
            models.Index(
                fields=["result_at", "id"], name="clawback_result", condition=Q(result_at__isnull=False)
            ),
        ]
        verbose_name = _("银行退回请求")
        verbose_name_plural = _("银行退回请求")
        ordering = ["recovery", "requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0), name="recoveryclawback_requested_positive"
            ),
            models.UniqueConstraint(
                fields=["recovery", "bank"],
                condition=Q(status="requested"),
                name="recoveryclawback_one_open_per_bank",
            ),
            models.CheckConstraint(
                condition=Q(status="requested", returned_amount__isnull=True, result_by__isnull=True)
                | Q(
                    status="returned",
                    returned_amount__gt=0,
                    returned_amount__lte=F("requested_amount"),
                    returned_on__isnull=False,
                    result_by__isnull=False,
                    result_at__isnull=False,
                )
                | Q(status="refused", returned_amount__isnull=True, result_by__isnull=False),
                name="recoveryclawback_result_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.bank_id} ¥{self.requested_amount}"


class RecoveryOffset(models.Model):
    """An amount of a recovery set off against a family's claim (抵扣), with the applicant's recorded consent.
    `claim_id` is the benefits claim it was taken from (benefits.SurvivorClaim; pensions does not import
    benefits). Lowers the recovery's balance."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="offsets")
    claim_id = models.PositiveBigIntegerField(_("抚恤待遇申请编号"))
    amount = money_field(_("抵扣金额"))
    consent = models.CharField(_("申请人同意抵扣记录"), max_length=200)
    by = models.ForeignKey(Staff, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("抵扣时间"))

    class Meta:
        verbose_name = _("追回抵扣")
        verbose_name_plural = _("追回抵扣")
        ordering = ["recovery", "at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recoveryoffset_amount_positive"),
            models.CheckConstraint(condition=~Q(consent=""), name="recoveryoffset_has_consent"),
            models.UniqueConstraint(fields=["recovery", "claim_id"], name="recoveryoffset_once_per_claim"),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.recovery_id} claim {self.claim_id} ¥{self.amount}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class RecoveryReferral(models.Model):
    """A recovery referred for legal action (移送司法/诉讼追偿): where it went, when, and how it stands."""

    class Status(models.TextChoices):
        REFERRED = "referred", _("已移送")
        IN_PROCEEDINGS = "in_proceedings", _("诉讼中")
        CLOSED = "closed", _("已结案")

    recovery = models.OneToOneField(Recovery, on_delete=models.PROTECT, related_name="referral")
    agency = models.CharField(_("移送机关"), max_length=100)
    referred_on = models.DateField(_("移送日期"))
    case_number = models.CharField(_("案号"), max_length=60, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REFERRED)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("登记时间"))

    class Meta:
        indexes = [
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(fields=["at", "id"], name="recoveryreferral_at"),
        ]
        verbose_name = _("移送司法")
        verbose_name_plural = _("移送司法")
        ordering = ["-referred_on", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(agency=""), name="recoveryreferral_has_agency")]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.get_status_display()}"


class RecoveryDocumentPrint(models.Model):
    """One printing or download of a recovery's document: a refund receipt (收款收据), a claw-back
    letter (退回函) or its account list, a referral letter (移送函). Shown in the audit log: a receipt
    printed twice is visible as such, and the letters name the deceased's account."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("收款收据")
        CLAWBACK_LETTER = "clawback_letter", _("银行退回函")
        CLAWBACK_LIST = "clawback_list", _("银行退回明细表")
        REFERRAL_LETTER = "referral_letter", _("移送函")

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="document_prints")
    kind = models.CharField(_("文书"), max_length=16, choices=Kind.choices)
    refund = models.ForeignKey(
        RecoveryRefund, on_delete=models.PROTECT, related_name="prints", null=True, blank=True
    )
    clawback = models.ForeignKey(
        RecoveryClawback, on_delete=models.PROTECT, related_name="prints", null=True, blank=True
    )
    full_numbers = models.BooleanField(_("含完整号码"), default=False)
    by = models.ForeignKey(Staff, verbose_name=_("打印人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("打印时间"))

    class Meta:
        verbose_name = _("追回文书打印")
        verbose_name_plural = _("追回文书打印")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at", "id"], name="recoverydocprint_at_id")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="receipt", refund__isnull=False, clawback__isnull=True)
                | Q(
                    kind__in=["clawback_letter", "clawback_list"], refund__isnull=True, clawback__isnull=False
                )
                | Q(kind="referral_letter", refund__isnull=True, clawback__isnull=True),
                name="recoverydocumentprint_kind_matches",
            ),
        ]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


# --- One-off payments: money to payees who are not the month's pensioners (a family's death claim) ---
# (pensions.services.one_off; docs/one-off-payments.md). Funded, exported and reconciled through the same
# bank-file profiles, funding check and return-file matching as the monthly plan.


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class OneOffBatch(models.Model):
    """One month's one-off payments (一次性支付批次). Moves like a plan: draft → submitted → approved (by
    someone else) → funded → exported → reconciled; its totals are stored and equal the sum of its
    payments."""

    Status = PayoutPlan.Status

    month = PensionMonthField(_("支付月份"), unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    payment_count = models.PositiveIntegerField(_("笔数"), default=0)
    total = money_field(_("金额合计"), default=0)
    lines_hash = models.CharField(_("明细校验值"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        Staff, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Staff, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("一次性支付批次")
        verbose_name_plural = _("一次性支付批次")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("submitted_by")),
                name="oneoffbatch_approver_is_not_submitter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"])
                | Q(
                    submitted_by__isnull=False,
                    approved_by__isnull=False,
                    approved_at__isnull=False,
                    lines_hash__regex=r"^[0-9a-f]{64}$",
                ),
                name="oneoffbatch_approved_is_signed",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="oneoffbatch_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.get_status_display()}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class OneOffPayment(models.Model):
    """One payment of a batch to one payee's account. `kind` and `source_id` say what it pays (a benefits
    claim); the original payment of a source is unique, and a failed payment is paid again at most once
    (`reissue_of`, one-to-one)."""

    class Kind(models.TextChoices):
        DEATH_CLAIM = "death_claim", _("丧葬补助金和抚恤金")

    PaymentStatus = PayoutLine.PaymentStatus

    batch = models.ForeignKey(OneOffBatch, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("支付项目"), max_length=20, choices=Kind.choices)
    source_id = models.PositiveBigIntegerField(_("来源编号"))
    retiree = models.ForeignKey(
        Retiree, verbose_name=_("退休人员"), on_delete=models.PROTECT, related_name="one_off_payments"
    )
    township = models.ForeignKey(
        OrgUnit, verbose_name=_("乡镇(街道)"), on_delete=models.PROTECT, related_name="+"
    )
    payee_name = models.CharField(_("收款人"), max_length=50)
    payee_id_number = models.CharField(_("收款人身份证号码"), max_length=18, db_collation="C")
    bank = models.ForeignKey(Bank, verbose_name=_("银行"), on_delete=models.PROTECT, related_name="+")
    account_number = models.CharField(_("账号/存折号"), max_length=32, db_collation="C")
    holder_name = models.CharField(_("户名"), max_length=50)
    amount = money_field(_("金额"))
    reissue_of = models.OneToOneField(
        "self",
        verbose_name=_("重发自"),
        on_delete=models.PROTECT,
        related_name="reissue",
        null=True,
        blank=True,
    )
    payment_status = models.CharField(
        _("发放结果"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    bank_reason = models.CharField(_("银行反馈"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("一次性支付")
        verbose_name_plural = _("一次性支付")
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="oneoffpayment_amount_positive"),
            models.UniqueConstraint(
                fields=["kind", "source_id"],
                condition=Q(reissue_of__isnull=True),
                name="oneoffpayment_source_paid_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.payee_name} ¥{self.amount}"


class OneOffBatchTransition(models.Model):
    """Every change of a one-off batch's state, with who, when and why (as PlanTransition for plans)."""

    batch = models.ForeignKey(OneOffBatch, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=12, choices=OneOffBatch.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=12, choices=OneOffBatch.Status.choices)
    by = models.ForeignKey(Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    reason = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        indexes = [
            # The audit log reads each source newest first, one page at a time (registry.selectors.audit_log).
            models.Index(fields=["at", "id"], name="oneofftransition_at"),
        ]
        verbose_name = _("一次性支付批次状态变更")
        verbose_name_plural = _("一次性支付批次状态变更")
        ordering = ["batch", "at", "id"]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


# The annual pension adjustment (调待, docs/annual-adjustment.md) -------------------------------------------


class AdjustmentParameters(models.Model):
    """One version of a year's adjustment parameters, as the admin enters them from the province's
    announcement. Rows are never changed: the newest row of a year is in force, the older ones are its
    history. A dry run records the row it used, so an approval of a run made with older parameters is refused.

    Components, each optional (0 or empty leaves it out); the rise is their sum, raised to `minimum_rise`
    when below it, rounded half up to the fen once on the total:
    - 定额 `flat_amount` per person;
    - 挂钩 `pension_percent` % of the basic pension in force in the effective month before the rise;
    - 挂钩 by contribution years: `year_bands` [{"up_to": 15, "per_year": "1.00"}, {"up_to": null,
      "per_year": "1.50"}], each band paying for the years inside it (marginal), years counted from the
      registry's contribution months as `year_counting` says; the component is at least `years_minimum`;
    - 倾斜 by age: `age_tiers` [{"age": 70, "amount": "20.00"}, …]: the highest tier reached by 31 December
      of the year applies (tiers do not add up);
    - 倾斜 by flag: `flag_extras` [{"flag": "senior_title", "amount": "30.00"}, …]: each current flag adds.
    """

    class YearCounting(models.TextChoices):
        WHOLE = "whole", _("每满一年计一年(不足一年的部分不计)")
        PART_AS_WHOLE = "part_as_whole", _("不足一年的按一年计")
        EXACT = "exact", _("按月折算(缴费月数÷12)")

    year = models.PositiveSmallIntegerField(_("调整年度"))
    effective_month = PensionMonthField(_("调整起始月份"))
    retired_by = models.DateField(_("退休时间截止日"), help_text=_("此日及以前退休的人员参加调整"))
    include_suspended = models.BooleanField(_("暂停发放人员参加调整"), default=True)
    include_deceased = models.BooleanField(
        _("调整起始月份及以后死亡的人员参加调整"),
        default=True,
        help_text=_("补发至死亡当月,随丧葬抚恤待遇支付给家属"),
    )
    flat_amount = money_field(_("定额调整(元/月)"), default=0)
    pension_percent = models.DecimalField(
        _("挂钩调整:按本人基本养老金的百分比(%)"), max_digits=7, decimal_places=4, default=0
    )
    year_counting = models.CharField(
        _("缴费年限计算方法"), max_length=16, choices=YearCounting.choices, default=YearCounting.WHOLE
    )
    year_bands = models.JSONField(_("挂钩调整:按缴费年限分段"), default=list, blank=True)
    years_minimum = money_field(_("缴费年限挂钩部分最低(元/月)"), default=0)
    age_tiers = models.JSONField(_("倾斜调整:按年龄"), default=list, blank=True)
    flag_extras = models.JSONField(_("倾斜调整:按人员标记"), default=list, blank=True)
    minimum_rise = money_field(_("最低增加额(元/月)"), default=0)
    announcement = models.CharField(_("文件依据"), max_length=200, blank=True)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    set_by = models.ForeignKey(Staff, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设置时间"))

    class Meta:
        verbose_name = _("年度调待参数")
        verbose_name_plural = _("年度调待参数")
        ordering = ["-year", "-set_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="adjparams_year"),
            models.CheckConstraint(
                condition=Q(
                    effective_month__gte=F("year") * 100 + 1, effective_month__lte=F("year") * 100 + 12
                ),
                name="adjparams_month_in_year",
            ),
            models.CheckConstraint(
                condition=Q(flat_amount__gte=0, years_minimum__gte=0, minimum_rise__gte=0),
                name="adjparams_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(pension_percent__gte=0, pension_percent__lte=100), name="adjparams_percent_range"
            ),
        ]
        indexes = [models.Index(fields=["year", "-set_at", "-id"], name="adjparams_in_force")]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.year} ({self.set_at:%Y-%m-%d %H:%M})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class AdjustmentRun(JobFields):
    """A dry run of a year's adjustment over the registry, its approval by someone else and its apply.

    queued → running → computed (lines and figures ready) → submitted → approved → applying → applied; a
    computed or submitted run may be rejected or discarded; a failed or interrupted run may be started
    again. After an apply, a later run of the same year covers only the people not yet adjusted (those whose
    exceptions were put right): a supplementary run (补充调整)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("试算中")
        COMPUTED = "computed", _("试算完成")
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已审核")
        APPLYING = "applying", _("执行中")
        APPLIED = "applied", _("已执行")
        REJECTED = "rejected", _("已退回")
        DISCARDED = "discarded", _("已作废")
        FAILED = "failed", _("试算失败")
        INTERRUPTED = "interrupted", _("任务中断")

    parameters = models.ForeignKey(
        AdjustmentParameters, verbose_name=_("所用参数"), on_delete=models.PROTECT, related_name="runs"
    )
    year = models.PositiveSmallIntegerField(_("调整年度"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    # The figures of the dry run (people, exceptions, monthly cost, arrears, distribution), written with the
    # lines; the pages read them instead of aggregating the lines again.
    figures = models.JSONField(_("试算汇总"), default=dict, blank=True)
    # Arrears run up to this month: the last month in an approved plan when the run was computed (checked
    # again at apply, which refuses if a later month has been approved since).
    arrears_to_month = PensionMonthField(_("补发截止月份"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        Staff, verbose_name=_("试算人"), on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(_("试算时间"))
    computed_at = models.DateTimeField(_("试算完成时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Staff, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审核意见"), max_length=300, blank=True)
    applied_by = models.ForeignKey(
        Staff, verbose_name=_("执行人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    applied_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    rates_written = models.PositiveIntegerField(_("新增标准条数"), default=0)
    arrears_written = models.PositiveIntegerField(_("新增补发条数"), default=0)
    arrears_total = money_field(_("补发合计"), default=0)

    class Meta:
        verbose_name = _("年度调待试算")
        verbose_name_plural = _("年度调待试算")
        ordering = ["-prepared_at", "-id"]
        constraints = [
            # Four eyes, kept by the database: whoever ran the dry run never approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="adjrun_approver_not_preparer",
            ),
            # One run of a year in flight at a time (queued … applying): two would adjust the same people.
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(
                    status__in=["queued", "running", "computed", "submitted", "approved", "applying"]
                ),
                name="adjrun_one_open_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} #{self.pk} {self.get_status_display()}"


class AdjustmentLine(models.Model):
    """One person in a dry run: the old rate, each component and the new rate, or the problem that makes them
    an exception (then no rise and nothing applied). Written by the dry run with COPY; never changed."""

    class Problem(models.TextChoices):
        NO_CONTRIBUTION_MONTHS = "no_contribution", _("没有缴费月数")
        NO_RATE = "no_rate", _("调整月份没有养老金标准")
        PENDING_CHANGE = "pending_change", _("有待审核的信息变更")
        LATER_RATE = "later_rate", _("调整月份之后另有养老金标准")

    run = models.ForeignKey(AdjustmentRun, on_delete=models.CASCADE, related_name="lines")
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("人员状态"), max_length=12, choices=Retiree.Status.choices)
    died_on = models.DateField(_("死亡日期"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(_("年底年龄"))
    contribution_months = models.PositiveIntegerField(_("缴费月数"))
    contribution_years = models.DecimalField(_("计算年限"), max_digits=8, decimal_places=4)
    old_amount = money_field(_("调整前月养老金"), null=True, blank=True)
    # Components unrounded (a percentage of a pension has more places than the fen); the rise is their sum,
    # rounded once.
    flat_part = models.DecimalField(_("定额"), max_digits=16, decimal_places=6, default=0)
    pension_part = models.DecimalField(_("挂钩(养老金)"), max_digits=16, decimal_places=6, default=0)
    years_part = models.DecimalField(_("挂钩(缴费年限)"), max_digits=16, decimal_places=6, default=0)
    age_part = models.DecimalField(_("倾斜(年龄)"), max_digits=16, decimal_places=6, default=0)
    flag_part = models.DecimalField(_("倾斜(标记)"), max_digits=16, decimal_places=6, default=0)
    minimum_part = models.DecimalField(_("补足最低增加额"), max_digits=16, decimal_places=6, default=0)
    rise = money_field(_("月增加额"), null=True, blank=True)
    new_amount = money_field(_("调整后月养老金"), null=True, blank=True)
    # Months already paid or withheld at the old rate (from the effective month up to arrears_to_month, and
    # the death month for the dead) and what they come to: the arrears the apply will write.
    arrears_months = models.PositiveSmallIntegerField(_("补发月数"), default=0)
    arrears_amount = money_field(_("补发金额"), default=0)
    problem = models.CharField(_("异常"), max_length=16, choices=Problem.choices, blank=True)

    class Meta:
        verbose_name = _("年度调待试算明细")
        verbose_name_plural = _("年度调待试算明细")
        ordering = ["run", "township", "retiree"]
        constraints = [
            models.UniqueConstraint(fields=["run", "retiree"], name="adjline_once_per_run"),
            models.CheckConstraint(
                condition=Q(problem="", rise__isnull=False, new_amount__isnull=False)
                | (~Q(problem="") & Q(rise__isnull=True, new_amount__isnull=True)),
                name="adjline_rise_or_problem",
            ),
            models.CheckConstraint(
                condition=Q(rise__isnull=True) | Q(new_amount=F("old_amount") + F("rise")),
                name="adjline_new_is_old_plus_rise",
            ),
        ]
        indexes = [models.Index(fields=["run", "problem"], name="adjline_run_problem")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.retiree_id} +{self.rise}"


class AdjustmentComparison(JobFields):
    """The province's own per-person results for a run, imported to compare with ours to the fen."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("比对中")
        DONE = "done", _("比对完成")
        FAILED = "failed", _("比对失败")
        INTERRUPTED = "interrupted", _("任务中断")

    run = models.ForeignKey(AdjustmentRun, on_delete=models.CASCADE, related_name="comparisons")
    file = models.FileField(_("省厅结果文件"), upload_to="adjustments/%Y/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    rows = models.PositiveIntegerField(_("文件行数"), default=0)
    matched = models.PositiveIntegerField(_("一致人数"), default=0)
    differing = models.PositiveIntegerField(_("不一致人数"), default=0)
    uploaded_by = models.ForeignKey(
        Staff, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("省厅调待结果比对")
        verbose_name_plural = _("省厅调待结果比对")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.original_name}"


class AdjustmentDifference(models.Model):
    """One person where the province's figure and ours differ (or who is in only one of the two)."""

    class Kind(models.TextChoices):
        AMOUNT = "amount", _("金额不一致")
        ONLY_PROVINCE = "only_province", _("仅省厅文件有")
        ONLY_OURS = "only_ours", _("仅本系统有")
        UNKNOWN_PERSON = "unknown_person", _("身份证号码不在本县登记")

    comparison = models.ForeignKey(AdjustmentComparison, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(_("差异类型"), max_length=16, choices=Kind.choices)
    id_number = models.CharField(_("身份证号码"), max_length=18, db_collation="C")
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    ours_rise = money_field(_("本系统月增加额"), null=True, blank=True)
    province_rise = money_field(_("省厅月增加额"), null=True, blank=True)
    ours_new_amount = money_field(_("本系统调整后金额"), null=True, blank=True)
    province_new_amount = money_field(_("省厅调整后金额"), null=True, blank=True)

    class Meta:
        verbose_name = _("省厅调待结果差异")
        verbose_name_plural = _("省厅调待结果差异")
        ordering = ["comparison", "kind", "id_number"]

    def __str__(self) -> str:
        return f"{self.comparison_id} {self.id_number} {self.kind}"


class AdjustmentNoticeBatch(JobFields):
    """The adjustment notices (养老金调整通知单) of one township for an applied run, rendered as one PDF."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RENDERING = "rendering", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")
        INTERRUPTED = "interrupted", _("任务中断")

    run = models.ForeignKey(AdjustmentRun, on_delete=models.PROTECT, related_name="notice_batches")
    township = models.ForeignKey(OrgUnit, verbose_name=_("乡镇"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    people = models.PositiveIntegerField(_("人数"), default=0)
    file = models.FileField(_("通知单文件"), upload_to="adjustments/%Y/notices/", blank=True)
    requested_by = models.ForeignKey(
        Staff, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调整通知单")
        verbose_name_plural = _("调整通知单")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.township_id}"


class PlanJob(JobFields):
    """Drafting a month's plan, or writing its bank files, in the worker (docs/jobs.md): the clerk's request
    only queues it, the page shows it busy and then the result.

    A month has at most one such job queued or running per kind (the partial unique constraint): a second
    click while it runs is refused, never a second draft or export. The plan's own rules stay the last line of
    defence: one plan per month, and an export only from 已拨付 (exporting again returns the stored files)."""

    class Kind(models.TextChoices):
        DRAFT = "draft", _("编制发放计划")
        BANK_FILES = "bank_files", _("生成银行文件")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        INTERRUPTED = "interrupted", _("任务中断")

    kind = models.CharField(_("任务"), max_length=12, choices=Kind.choices)
    month = PensionMonthField(_("发放月份"))
    # Drafting: make an existing draft again (the plan page's 重新生成), rather than only a missing plan.
    regenerate = models.BooleanField(_("重新生成"), default=False)
    plan = models.ForeignKey(
        PayoutPlan,
        verbose_name=_("发放计划"),
        on_delete=models.CASCADE,
        related_name="jobs",
        null=True,
        blank=True,
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    # What a refusal left for the page (the lines a bank's encoding cannot hold), or the result's figures.
    result = models.JSONField(_("结果"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        Staff, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("发起时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发放后台任务")
        verbose_name_plural = _("发放后台任务")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "month"],
                condition=Q(status__in=["queued", "running"]),
                name="planjob_one_active_per_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.get_kind_display()} ({self.get_status_display()})"
