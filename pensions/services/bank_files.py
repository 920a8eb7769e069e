"""Bank files: each bank's payout file for a funded plan or one-off batch (pensions.services.payment_sources),
written with the bank's profile, stored with its checksum, one per plan (or batch) and bank; and each
download recorded (docs/payouts.md, docs/bank-files.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import Bank, OrgUnit, Staff
from registry.sql import planner_settings

from .. import reasons
from ..bankfiles import (
    SHIPPED_PROFILES,
    BankFileProfile,
    InvalidLinesError,
    PaymentLine,
    ProfileError,
    RenderContext,
    UnencodableLine,
    UnencodableLines,
    render_bank_file,
    shipped_profile,
)
from ..bankfiles.sql_render import (
    LINE_COLUMNS,
    PLANNER_SETTINGS,
    LineSource,
    StoredFile,
    check_lines,
    doubtful_lines_statement,
    is_text_layout,
    render_statement,
    summary_problem,
)
from ..bankfiles.writer import file_name
from ..errors import PlanError
from ..models import BankFile, BankFileDownload, BankFileProfileSetting, OneOffBatch, PayoutPlan
from .payment_sources import BatchSource, PaymentSource, PlanSource

Status = PayoutPlan.Status

DEFAULT_PROFILE_CODE = "generic_xlsx"
_LISTED = 20


class UnencodableNamesError(PlanError):
    """The export stopped: some lines hold characters a bank's encoding cannot represent. `lines` lists
    them per bank for manual handling; nothing was written for any bank."""

    def __init__(self, message: str, *, lines: list[tuple[Bank, UnencodableLine]]) -> None:
        super().__init__(message)
        self.lines = lines

    def rows(self) -> list[dict[str, str]]:
        """The lines as a page lists them and the API returns them."""
        return [
            {
                "bank": bank.name,
                "reference": line.reference,
                "name": line.name,
                "characters": line.characters,
                "code_points": line.code_points,
            }
            for bank, line in self.lines
        ]


# ---- profiles


def bank_file_profile_for(*, bank: Bank) -> BankFileProfile:
    """The profile a bank's files are written with: its setting; else the shipped profile the county's
    settings.BANK_FILE_DEFAULT_PROFILES name for its bank code (so the demo county exports without seeding
    settings); else generic_xlsx."""
    setting = BankFileProfileSetting.objects.filter(bank=bank).first()
    if setting is None:
        defaults: Mapping[str, str] = settings.BANK_FILE_DEFAULT_PROFILES
        return shipped_profile(defaults.get(bank.code, DEFAULT_PROFILE_CODE))
    if setting.profile_code:
        return shipped_profile(setting.profile_code)
    return BankFileProfile.from_dict(setting.profile or {})


@transaction.atomic
def bank_file_profile_set(
    *, bank: Bank, by: Staff | None, profile_code: str = "", profile: Mapping[str, Any] | None = None
) -> BankFileProfileSetting:
    """Choose a bank's file format: a shipped profile by code, or the county's own profile as JSON (checked
    by BankFileProfile.from_dict, whose Chinese message says what is wrong). `by` None: a seeding command."""
    if by is not None:
        access.require(by, Action.MANAGE_SETTINGS)
    if bool(profile_code) == (profile is not None):
        raise PlanError(_("请选择一个内置格式,或填写自定义格式,二者选一。"), field="profile_code")
    if profile_code and profile_code not in SHIPPED_PROFILES:
        raise PlanError(
            _("没有代码为 %(code)s 的内置银行文件格式。") % {"code": profile_code}, field="profile_code"
        )
    stored: dict[str, Any] | None = None
    if profile is not None:
        try:
            stored = BankFileProfile.from_dict(profile).to_dict()
        except ProfileError as error:
            raise PlanError(error.message, field="profile") from error
    setting, _created = BankFileProfileSetting.objects.update_or_create(
        bank=bank,
        defaults={
            "profile_code": profile_code,
            "profile": stored,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    return setting


# ---- lines as sent


def payment_lines(*, plan: PayoutPlan, bank_id: int | None = None) -> dict[int, list[PaymentLine]]:
    """The payments of a plan per bank, in line order (PlanSource.payment_lines)."""
    return PlanSource(plan).payment_lines(bank_id=bank_id)


def _county_code() -> str:
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return county.code if county else ""


def _context(source: PaymentSource, bank: Bank, county_code: str) -> RenderContext:
    return RenderContext(
        county_code=county_code,
        month=str(source.month).replace("-", ""),  # yyyymm
        date=timezone.localdate(),
        batch=source.batch_reference,
        bank_code=bank.code,
        seq=source.file_seq,
    )


# ---- export


def bank_files_export(*, plan: PayoutPlan, by: Staff) -> list[BankFile]:
    """Write each bank's payout file for a funded plan (source_bank_files_export)."""
    return source_bank_files_export(source=PlanSource(plan), by=by)


def one_off_bank_files_export(*, batch: OneOffBatch, by: Staff) -> list[BankFile]:
    """Write each bank's payout file for a funded one-off batch (source_bank_files_export)."""
    return source_bank_files_export(source=BatchSource(batch), by=by)


# The lines of one bank's file, in file order (PlanSource.payment_lines, BatchSource.payment_lines: the same
# rows, names and references), for the SQL renderer. The township joined as the ORM joins it (a line's unit is
# never deleted); read in file order, the join is a memoized nested loop that keeps that order.
_PLAN_LINES = """
SELECT line.id AS ord, 'P' || line.plan_id || 'L' || line.id AS reference,
       COALESCE(NULLIF(line.holder_name, ''), line.name)::text AS name, line.id_number::text AS id_number,
       line.account_number::text AS account_number, line.net AS amount, township.name::text AS township,
       ''::text AS certificate_number
  FROM pensions_payoutline line
  JOIN registry_orgunit township ON township.id = line.township_id
 WHERE line.plan_id = %(src_owner)s AND line.bank_id = %(src_bank)s AND NOT line.is_withheld AND line.net > 0
"""
_BATCH_LINES = """
SELECT payment.id AS ord, 'B' || payment.batch_id || 'P' || payment.id AS reference,
       COALESCE(NULLIF(payment.holder_name, ''), payment.payee_name)::text AS name,
       payment.payee_id_number::text AS id_number, payment.account_number::text AS account_number,
       payment.amount AS amount, township.name::text AS township, ''::text AS certificate_number
  FROM pensions_oneoffpayment payment
  JOIN registry_orgunit township ON township.id = payment.township_id
 WHERE payment.batch_id = %(src_owner)s AND payment.bank_id = %(src_bank)s
"""
# The banks a plan's sent lines go to, by a walk down the export index (one probe per bank, not a scan of a
# million lines); NULL first when a sent line has no bank.
_PLAN_BANKS = """
WITH RECURSIVE bank AS (
    (SELECT line.bank_id FROM pensions_payoutline line
      WHERE line.plan_id = %(owner)s AND NOT line.is_withheld AND line.net > 0
      ORDER BY line.bank_id LIMIT 1)
    UNION ALL
    SELECT (SELECT line.bank_id FROM pensions_payoutline line
             WHERE line.plan_id = %(owner)s AND NOT line.is_withheld AND line.net > 0
               AND line.bank_id > bank.bank_id
             ORDER BY line.bank_id LIMIT 1)
      FROM bank WHERE bank.bank_id IS NOT NULL
)
SELECT bank_id FROM bank WHERE bank_id IS NOT NULL
UNION ALL
(SELECT NULL FROM pensions_payoutline line
  WHERE line.plan_id = %(owner)s AND NOT line.is_withheld AND line.net > 0 AND line.bank_id IS NULL LIMIT 1)
"""
_BATCH_BANKS = "SELECT DISTINCT bank_id FROM pensions_oneoffpayment WHERE batch_id = %(owner)s"


def _line_source(source: PaymentSource, bank: Bank) -> LineSource:
    sql = _PLAN_LINES if isinstance(source, PlanSource) else _BATCH_LINES
    return LineSource(sql=sql, params={"src_owner": source.pk, "src_bank": bank.pk})


def _banks_with_lines(source: PaymentSource) -> set[int | None]:
    sql = _PLAN_BANKS if isinstance(source, PlanSource) else _BATCH_BANKS
    with connection.cursor() as cursor:
        cursor.execute(sql, {"owner": source.pk})
        return {row[0] for row in cursor.fetchall()}


@dataclass
class _Outcome:
    stored: list[int] = field(default_factory=list)
    unencodable: list[tuple[Bank, UnencodableLine]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def refuse(self, bank: Bank, error: InvalidLinesError) -> None:
        """A bank's file that cannot be written: its unencodable names listed, or its problem said."""
        if isinstance(error, UnencodableLines):
            self.unencodable.extend((bank, line) for line in error.lines)
        else:
            self.problems.append(f"{bank.name}:{error.message}")


def _mismatch(
    source: PaymentSource, bank: Bank, *, file_total: Decimal, file_count: int, net_total: Decimal
) -> PlanError:
    return PlanError(
        _("%(bank)s 的银行文件合计 %(file_total)s(%(file_count)d 笔)与%(kind)s的银行合计 %(total)s 不一致。")
        % {
            "bank": bank.name,
            "file_total": yuan(file_total),
            "file_count": file_count,
            "kind": source.kind_label,
            "total": yuan(net_total),
        }
    )


def _run(cursor: Any, statement: tuple[str, dict[str, Any]]) -> tuple[Any, ...] | None:
    """The render statement under its planner settings (sql_render.PLANNER_SETTINGS)."""
    with planner_settings(cursor, PLANNER_SETTINGS):
        cursor.execute(*statement)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def _store_text_file(
    source: PaymentSource,
    bank: Bank,
    profile: BankFileProfile,
    *,
    context: RenderContext,
    stored: StoredFile,
    outcome: _Outcome,
) -> None:
    """Render and store one text file in PostgreSQL (pensions.bankfiles.sql_render). When the statement
    stores nothing, name the lines (or the header/trailer) that cannot be written, or the total that differs;
    if none, the doubtful lines were all writable: store with `force`."""
    lines = _line_source(source, bank)
    with connection.cursor() as cursor:
        if not summary_problem(profile, context=context):
            row = _run(cursor, render_statement(profile, source=lines, context=context, stored=stored))
            if row is not None:
                outcome.stored.append(row[0])
                return
        cursor.execute(*doubtful_lines_statement(profile, source=lines))
        rows = cursor.fetchall()
    count, total = int(rows[0][0]), Decimal(rows[0][1])
    doubtful = [
        (number, PaymentLine(**dict(zip(LINE_COLUMNS, values, strict=True))))
        for _count, _total, number, *values in rows
        if number is not None
    ]
    try:
        check_lines(profile, doubtful, count=count, total=total, context=context)
    except InvalidLinesError as error:
        outcome.refuse(bank, error)
        return
    # The file must pay exactly what was approved for this bank: the money moved at funding.
    if total != stored.expected_total:
        raise _mismatch(source, bank, file_total=total, file_count=count, net_total=stored.expected_total)
    with connection.cursor() as cursor:
        row = _run(
            cursor, render_statement(profile, source=lines, context=context, stored=stored, force=True)
        )
    if row is None:  # the checks above and the statement's disagree: never store a doubtful file
        raise PlanError(_("%(bank)s 的银行文件没有生成:数据库与程序的检查结果不一致。") % {"bank": bank.name})
    outcome.stored.append(row[0])


def _store_xlsx_file(
    source: PaymentSource,
    bank: Bank,
    profile: BankFileProfile,
    *,
    context: RenderContext,
    stored: StoredFile,
    outcome: _Outcome,
) -> None:
    sent = source.payment_lines(bank_id=bank.pk).get(bank.pk, [])
    try:
        bank_file = render_bank_file(profile, sent, context=context)
    except InvalidLinesError as error:
        outcome.refuse(bank, error)
        return
    if bank_file.total != stored.expected_total or bank_file.count != len(sent):
        raise _mismatch(
            source,
            bank,
            file_total=bank_file.total,
            file_count=bank_file.count,
            net_total=stored.expected_total,
        )
    created = BankFile.objects.create(
        **source.owner(),
        bank=bank,
        name=bank_file.name,
        content_type=bank_file.content_type,
        content=bank_file.content,
        sha256=bank_file.sha256,
        line_count=bank_file.count,
        total=bank_file.total,
        profile_code=profile.code,
        profile=profile.to_dict(),
        created_by_id=stored.created_by_id,
        created_at=stored.created_at,
    )
    outcome.stored.append(created.pk)


@transaction.atomic
def source_bank_files_export(*, source: PaymentSource, by: Staff) -> list[BankFile]:
    """Write each bank's payout file for a funded plan or batch, store them all and move it to exported, in
    one transaction. Exporting again returns the stored files: never a second file or payment.

    Text files are rendered by PostgreSQL straight into pensions_bankfile, with their SHA-256, count and total
    computed in the same statement (pensions.bankfiles.sql_render, docs/bank-files.md); xlsx files by the
    Python writer.

    Refused (PlanError, nothing written for any bank): a name a bank's encoding cannot hold (the lines are
    listed for manual handling), a line the profile cannot write, a file whose total differs from the
    source's bank total."""
    access.require(by, Action.PREPARE_PAYMENTS)
    # Lock the plan or batch: two clerks exporting at once would both find no files and both write them.
    locked = source.locked()
    existing = list(BankFile.objects.filter(**locked.owner()).defer("content").select_related("bank"))
    if locked.status in (Status.EXPORTED, Status.RECONCILED):
        return existing
    if locked.status != Status.FUNDED:
        raise PlanError(
            _("%(month)s 的%(kind)s是“%(status)s”状态,拨付完成后才能生成银行文件。")
            % {"month": locked.month, "kind": locked.kind_label, "status": Status(locked.status).label}
        )
    if existing:
        # Files are written together with the move to exported: a funded plan or batch has none.
        raise PlanError(
            _("%(month)s 的%(kind)s已有银行文件,但状态仍是“已拨付”。")
            % {"month": locked.month, "kind": locked.kind_label}
        )

    # Each bank paying anything, with the total its file must carry; every sent line goes to one of them.
    totals = locked.bank_totals()
    if _banks_with_lines(locked) != set(totals):
        raise PlanError(_("%(title)s的银行汇总与明细不符。") % {"title": locked.title})

    county_code = _county_code()
    now = timezone.now()
    owner = locked.owner()
    outcome = _Outcome()
    for bank, net_total in sorted(totals.values(), key=lambda item: item[0].code):
        profile = bank_file_profile_for(bank=bank)
        context = _context(locked, bank, county_code)
        stored = StoredFile(
            plan_id=owner["plan"].pk if "plan" in owner else None,
            one_off_batch_id=owner["one_off_batch"].pk if "one_off_batch" in owner else None,
            bank_id=bank.pk,
            name=file_name(profile, context),
            profile_code=profile.code,
            profile_json=json.dumps(profile.to_dict(), ensure_ascii=False),
            created_by_id=by.pk,
            created_at=now,
            expected_total=net_total,
        )
        store = _store_text_file if is_text_layout(profile) else _store_xlsx_file
        store(locked, bank, profile, context=context, stored=stored, outcome=outcome)
    if outcome.unencodable:
        listed = ";".join(
            _("%(bank)s %(reference)s %(name)s:%(characters)s(%(codes)s)")
            % {
                "bank": bank.name,
                "reference": line.reference,
                "name": line.name,
                "characters": line.characters,
                "codes": line.code_points,
            }
            for bank, line in outcome.unencodable[:_LISTED]
        )
        raise UnencodableNamesError(
            _(
                "有 %(count)d 人的姓名含有银行文件编码无法表示的字符,所有银行文件都没有生成。"
                "请人工处理这些人员(如改用银行认可的写法或单独发放)后再生成:%(lines)s"
            )
            % {"count": len(outcome.unencodable), "lines": listed},
            lines=outcome.unencodable,
        )
    if outcome.problems:
        raise PlanError(_("银行文件没有生成:%(problems)s") % {"problems": ";".join(outcome.problems)})

    files = sorted(
        BankFile.objects.filter(pk__in=outcome.stored).defer("content").select_related("bank"),
        key=lambda file: file.bank.code,
    )
    source.mark_exported(
        by=by,
        reason=reasons.EXPORTED
        % {"count": len(files), "total": yuan(sum((file.total for file in files), Decimal("0.00")))},
    )
    return files


# ---- download


@transaction.atomic
def bank_file_download(*, bank_file: BankFile, by: Staff) -> bytes:
    """The file's bytes, with the download recorded. Checked against the stored SHA-256 first: what leaves
    is what was written."""
    if not (access.can(by, Action.PREPARE_PAYMENTS) or access.can(by, Action.APPROVE_PAYMENTS)):
        raise PermissionDenied(Action.PREPARE_PAYMENTS.value)
    content = bytes(BankFile.objects.filter(pk=bank_file.pk).values_list("content", flat=True).get())
    if hashlib.sha256(content).hexdigest() != bank_file.sha256:
        raise PlanError(_("银行文件 %(name)s 的校验值不符,不能下载。") % {"name": bank_file.name})
    BankFileDownload.objects.create(bank_file=bank_file, by=by, at=timezone.now())
    return content
