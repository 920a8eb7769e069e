"""A month run through P1's services up to approval, funding, export and the banks' answers, for the tests of
funding, bank files and return files. Fixtures live in the test modules; these are the plain steps."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from pensions.bankfiles import BankFileProfile, RenderContext, render_return_file
from pensions.models import BankFile, PayoutPlan, PlanTotal
from pensions.services import (
    bank_file_profile_set,
    bank_files_export,
    funding_record,
    payment_source_of,
    plan_approve,
    plan_draft,
    plan_submit,
)
from registry.models import Bank, Retiree, Staff

from .conftest import NOV, Enrol

SH = ZoneInfo("Asia/Shanghai")
T_DRAFT = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=SH)
T_SUBMIT = datetime.datetime(2026, 11, 5, 15, 0, tzinfo=SH)
T_APPROVE = datetime.datetime(2026, 11, 6, 10, 0, tzinfo=SH)
T_FUND = datetime.datetime(2026, 11, 12, 10, 30, tzinfo=SH)
T_EXPORT = datetime.datetime(2026, 11, 13, 9, 15, tzinfo=SH)
T_RETURN = datetime.datetime(2026, 11, 20, 16, 0, tzinfo=SH)
FUNDED_ON = datetime.date(2026, 11, 12)

# The month's people: (bank, monthly amount, name). A suspended PSBC retiree gets a withheld line on top.
PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("psbc", "2650.00", "张建国"),
    ("psbc", "3120.55", "李秀兰"),
    ("psbc", "1890.10", "王德胜"),
    ("rcc", "2800.00", "曾国华"),
    ("ccb", "3333.33", "单立新"),
    ("ccb", "2450.67", "解红梅"),
)
BANK_TOTALS = {"psbc": Decimal("7660.65"), "rcc": Decimal("2800.00"), "ccb": Decimal("5784.00")}
DEFAULT_PROFILES = {"psbc": "psbc", "rcc": "ebank", "ccb": "ccb"}


def enrol_month(county: Any, enrol: Enrol, *, names: Mapping[int, str] | None = None) -> list[Retiree]:
    people = []
    for index, (bank, amount, name) in enumerate(PEOPLE):
        community = county.community_b1 if bank == "ccb" else county.community_a1
        people.append(
            enrol(
                bank=bank,
                rates=((NOV.plus(-12), amount),),
                name=(names or {}).get(index, name),
                community=community,
            )
        )
    enrol(bank="psbc", status=Retiree.Status.SUSPENDED, rates=((NOV.plus(-12), "2000.00"),), name="赵停发")
    return people


def set_profiles(banks: Mapping[str, Bank], profiles: Mapping[str, str | None] = DEFAULT_PROFILES) -> None:
    """Each bank's profile: a shipped code, or None for no setting (generic_xlsx)."""
    for key, code in profiles.items():
        if code is not None:
            bank_file_profile_set(bank=banks[key], by=None, profile_code=code)


def approved_plan(county: Any) -> PayoutPlan:
    with time_machine.travel(T_DRAFT, tick=False):
        plan = plan_draft(month=NOV, by=county.clerk)
    with time_machine.travel(T_SUBMIT, tick=False):
        plan_submit(plan=plan, by=county.clerk)
    with time_machine.travel(T_APPROVE, tick=False):
        plan_approve(plan=plan, by=county.reviewer)
    return plan


def bank_total(plan: PayoutPlan, bank: Bank) -> Decimal:
    return PlanTotal.objects.get(plan=plan, kind=PlanTotal.Kind.BANK, bank=bank).net_total


def fund_all(plan: PayoutPlan, banks: Mapping[str, Bank], by: Staff) -> None:
    with time_machine.travel(T_FUND, tick=False):
        for key, bank in banks.items():
            funding_record(
                plan=plan,
                bank=bank,
                amount=bank_total(plan, bank),
                reference_number=f"CZ2026-{key.upper()}",
                transferred_on=FUNDED_ON,
                by=by,
            )


def exported_plan(county: Any, banks: Mapping[str, Bank]) -> tuple[PayoutPlan, dict[str, BankFile]]:
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)
    with time_machine.travel(T_EXPORT, tick=False):
        files = bank_files_export(plan=plan, by=county.clerk)
    by_bank = {file.bank_id: file for file in files}
    return plan, {key: by_bank[bank.pk] for key, bank in banks.items()}


def bank_answer(
    bank_file: BankFile, *, failures: Mapping[str, tuple[str, str]] | None = None, **changes: Any
) -> bytes:
    """The return file the bank would send for `bank_file`: failures by reference → (code, reason). Keyword
    `lines` replaces the lines answered (to forge a changed amount or an unknown reference)."""
    profile = BankFileProfile.from_dict(bank_file.profile)
    # A plan's or a one-off batch's file: the lines it sent, as the export made them.
    source = payment_source_of(bank_file)
    lines = changes.pop("lines", None) or source.payment_lines(bank_id=bank_file.bank_id)[bank_file.bank_id]
    context = RenderContext(
        county_code="360721",
        month=str(source.month).replace("-", ""),
        date=datetime.date(2026, 11, 20),
        batch=source.batch_reference,
        bank_code=bank_file.bank.code,
    )
    # Under a frozen clock: an xlsx records when it was made (to the second), and "the same file again" must
    # be the same bytes even when the two renders straddle a second.
    with time_machine.travel(T_RETURN, tick=False):
        return render_return_file(profile, lines, context=context, failures=failures).content
