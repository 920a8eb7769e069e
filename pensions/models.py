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
    # sha256 of the lines in a fixed text form (pensions.services.plan_lines_digest), set at approval: what
    # was approved can be shown to be what is exported.
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
    their payment result changes later (tracked), so inserts are not copied into history.
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
        indexes = [models.Index(fields=["status", "requested_at"], name="writeoffrequest_status")]

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
        verbose_name = _("一次性支付批次状态变更")
        verbose_name_plural = _("一次性支付批次状态变更")
        ordering = ["batch", "at", "id"]
        triggers = [append_only]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
