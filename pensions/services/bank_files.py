"""Bank files: each bank's payout file for a funded plan or one-off batch (pensions.services.payment_sources),
written with the bank's profile, stored with its checksum, one per plan (or batch) and bank; and each
download recorded (docs/payouts.md, docs/bank-files.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import Bank, OrgUnit, Staff

from .. import reasons
from ..bankfiles import (
    SHIPPED_PROFILES,
    BankFileProfile,
    InvalidLinesError,
    PaymentLine,
    ProfileError,
    RenderContext,
    RenderedFile,
    UnencodableLine,
    UnencodableLines,
    render_bank_file,
    shipped_profile,
)
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


@transaction.atomic
def source_bank_files_export(*, source: PaymentSource, by: Staff) -> list[BankFile]:
    """Write each bank's payout file for a funded plan or batch, store them all and move it to exported, in
    one transaction. Exporting again returns the stored files: never a second file or payment.

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

    # Each bank paying anything, with the total its file must carry.
    totals = locked.bank_totals()
    lines = locked.payment_lines()
    if lines.keys() != totals.keys():
        raise PlanError(_("%(title)s的银行汇总与明细不符。") % {"title": locked.title})

    county_code = _county_code()
    rendered: list[tuple[Bank, BankFileProfile, RenderedFile]] = []
    unencodable: list[tuple[Bank, UnencodableLine]] = []
    problems: list[str] = []
    for bank, net_total in sorted(totals.values(), key=lambda item: item[0].code):
        profile = bank_file_profile_for(bank=bank)
        sent = lines[bank.pk]
        try:
            bank_file = render_bank_file(profile, sent, context=_context(locked, bank, county_code))
        except UnencodableLines as error:
            unencodable.extend((bank, line) for line in error.lines)
            continue
        except InvalidLinesError as error:
            problems.append(f"{bank.name}:{error.message}")
            continue
        # The file must pay exactly what was approved for this bank: the money moved at funding.
        if bank_file.total != net_total or bank_file.count != len(sent):
            raise PlanError(
                _(
                    "%(bank)s 的银行文件合计 %(file_total)s(%(file_count)d 笔)"
                    "与%(kind)s的银行合计 %(total)s 不一致。"
                )
                % {
                    "bank": bank.name,
                    "file_total": yuan(bank_file.total),
                    "file_count": bank_file.count,
                    "kind": locked.kind_label,
                    "total": yuan(net_total),
                }
            )
        rendered.append((bank, profile, bank_file))
    if unencodable:
        listed = ";".join(
            _("%(bank)s %(reference)s %(name)s:%(characters)s(%(codes)s)")
            % {
                "bank": bank.name,
                "reference": line.reference,
                "name": line.name,
                "characters": line.characters,
                "codes": line.code_points,
            }
            for bank, line in unencodable[:_LISTED]
        )
        raise UnencodableNamesError(
            _(
                "有 %(count)d 人的姓名含有银行文件编码无法表示的字符,所有银行文件都没有生成。"
                "请人工处理这些人员(如改用银行认可的写法或单独发放)后再生成:%(lines)s"
            )
            % {"count": len(unencodable), "lines": listed},
            lines=unencodable,
        )
    if problems:
        raise PlanError(_("银行文件没有生成:%(problems)s") % {"problems": ";".join(problems)})

    now = timezone.now()
    files = BankFile.objects.bulk_create(
        BankFile(
            **locked.owner(),
            bank=bank,
            name=bank_file.name,
            content_type=bank_file.content_type,
            content=bank_file.content,
            sha256=bank_file.sha256,
            line_count=bank_file.count,
            total=bank_file.total,
            profile_code=profile.code,
            profile=profile.to_dict(),
            created_by=by,
            created_at=now,
        )
        for bank, profile, bank_file in rendered
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
