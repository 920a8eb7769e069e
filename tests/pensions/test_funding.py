"""Funding (拨付): each bank's transfer equals its total to the fen; the last one moves the plan to funded;
the funding request PDF shows the same figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from pensions.errors import PlanError
from pensions.models import Funding, PayoutPlan, PlanTransition
from pensions.pdfs.funding_request import funding_request_context, funding_request_pdf, rmb_upper
from pensions.services import funding_record, plan_draft
from tests.factories import BankFactory
from tests.pdfs import pdf_fonts, pdf_info, pdf_text

from .conftest import NOV
from .payout_flow import (
    BANK_TOTALS,
    FUNDED_ON,
    T_APPROVE,
    T_FUND,
    approved_plan,
    enrol_month,
    fund_all,
)

S = PayoutPlan.Status


@pytest.fixture
def plan(county, enrol, banks) -> PayoutPlan:
    enrol_month(county, enrol)
    return approved_plan(county)


def record(plan, bank, amount, *, by, reference="CZ2026-001", on=FUNDED_ON):
    with time_machine.travel(T_FUND, tick=False):
        return funding_record(
            plan=plan, bank=bank, amount=Decimal(amount), reference_number=reference, transferred_on=on, by=by
        )


@pytest.mark.django_db
def test_the_bank_totals_are_what_the_lines_say(plan, banks):
    # Given the month's people, the plan's bank totals (withheld lines pay nothing).
    totals = {key: plan.totals.get(kind="bank", bank=bank).net_total for key, bank in banks.items()}
    assert totals == BANK_TOTALS
    assert plan.net_total == Decimal("16244.65")


@pytest.mark.django_db
def test_a_transfer_equal_to_the_bank_total_is_recorded(county, plan, banks):
    funding = record(plan, banks["psbc"], "7660.65", by=county.reviewer, reference=" CZ2026-118 ")

    funding.refresh_from_db()
    assert (funding.plan, funding.bank, funding.amount) == (plan, banks["psbc"], Decimal("7660.65"))
    assert (funding.reference_number, funding.transferred_on) == ("CZ2026-118", FUNDED_ON)
    assert (funding.recorded_by, funding.recorded_at) == (county.reviewer, T_FUND)
    plan.refresh_from_db()
    assert plan.status == S.APPROVED  # two banks still to fund


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["7660.64", "7660.66", "7660.650001", "0.00", "-7660.65"])
def test_a_transfer_a_fen_off_is_refused_and_nothing_is_written(county, plan, banks, amount):
    with pytest.raises(PlanError) as refused:
        record(plan, banks["psbc"], amount, by=county.reviewer)

    assert refused.value.field == "amount"
    assert Funding.objects.count() == 0
    plan.refresh_from_db()
    assert plan.status == S.APPROVED


@pytest.mark.django_db
def test_the_message_names_both_amounts(county, plan, banks):
    with pytest.raises(PlanError, match="拨付金额 ¥7,660.64 与 中国邮政储蓄银行 的实发合计 ¥7,660.65 不一致"):
        record(plan, banks["psbc"], "7660.64", by=county.reviewer)


@pytest.mark.django_db
def test_when_every_bank_is_funded_the_plan_is_funded(county, plan, banks):
    record(plan, banks["psbc"], "7660.65", by=county.reviewer, reference="A1")
    record(plan, banks["ccb"], "5784.00", by=county.reviewer, reference="A2")
    plan.refresh_from_db()
    assert plan.status == S.APPROVED

    record(plan, banks["rcc"], "2800.00", by=county.reviewer, reference="A3")

    plan.refresh_from_db()
    assert plan.status == S.FUNDED
    last = PlanTransition.objects.filter(plan=plan).order_by("id").last()
    assert last is not None
    assert (last.from_status, last.to_status, last.by, last.at) == (
        "approved",
        "funded",
        county.reviewer,
        T_FUND,
    )
    assert last.reason == "3 家银行拨付合计 ¥16,244.65"
    assert sorted(Funding.objects.values_list("reference_number", flat=True)) == ["A1", "A2", "A3"]


@pytest.mark.django_db
def test_a_bank_is_funded_once(county, plan, banks):
    record(plan, banks["psbc"], "7660.65", by=county.reviewer, reference="A1")
    with pytest.raises(PlanError, match="拨付已登记过"):
        record(plan, banks["psbc"], "7660.65", by=county.reviewer, reference="A1-again")
    assert list(Funding.objects.values_list("reference_number", flat=True)) == ["A1"]


@pytest.mark.django_db
def test_a_bank_without_payments_this_month_cannot_be_funded(county, plan):
    icbc = BankFactory.create(code="ICBC", name="中国工商银行")
    with pytest.raises(PlanError, match="没有需要拨付的金额"):
        record(plan, icbc, "100.00", by=county.reviewer)
    assert Funding.objects.count() == 0


@pytest.mark.django_db
def test_only_an_approved_plan_is_funded(county, enrol, banks):
    enrol_month(county, enrol)
    draft = plan_draft(month=NOV, by=county.clerk)
    with pytest.raises(PlanError, match="只有已审批的计划才能登记拨付"):
        record(draft, banks["psbc"], "7660.65", by=county.reviewer)
    assert Funding.objects.count() == 0


@pytest.mark.django_db
def test_funding_needs_the_finance_role_a_reference_and_a_past_date(county, plan, banks):
    with pytest.raises(PermissionDenied):
        record(plan, banks["psbc"], "7660.65", by=county.clerk)
    with pytest.raises(PermissionDenied):
        record(plan, banks["psbc"], "7660.65", by=county.officer_a)
    with pytest.raises(PlanError) as blank:
        record(plan, banks["psbc"], "7660.65", by=county.reviewer, reference="  ")
    assert blank.value.field == "reference_number"
    with pytest.raises(PlanError) as future:
        record(plan, banks["psbc"], "7660.65", by=county.reviewer, on=datetime.date(2026, 11, 13))
    assert future.value.field == "transferred_on"
    assert Funding.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "upper"),
    [
        ("16244.65", "壹万陆仟贰佰肆拾肆元陆角伍分"),
        ("10305.20", "壹万零叁佰零伍元贰角整"),
        ("100000.00", "壹拾万元整"),
        ("100000005.00", "壹亿零伍元整"),
        ("2800.00", "贰仟捌佰元整"),
        ("1010.05", "壹仟零壹拾元零伍分"),
        ("0.50", "伍角整"),
        ("0.00", "零元整"),
        ("1200345.67", "壹佰贰拾万零叁佰肆拾伍元陆角柒分"),
    ],
)
def test_amounts_in_capitals(amount, upper):
    assert rmb_upper(Decimal(amount)) == upper


@pytest.mark.django_db
def test_the_funding_request_lists_each_bank_with_count_and_amount(county, plan, banks):
    context = funding_request_context(plan=plan)

    rows = [(row.bank.code, row.line_count, row.amount) for row in context["rows"]]
    assert rows == [
        ("CCB", 2, Decimal("5784.00")),
        ("PSBC", 3, Decimal("7660.65")),  # the withheld line is not a payment
        ("RCC", 1, Decimal("2800.00")),
    ]
    assert (context["line_count"], context["total"]) == (6, Decimal("16244.65"))
    assert context["total_upper"] == "壹万陆仟贰佰肆拾肆元陆角伍分"
    assert (context["prepared_by"], context["approved_by"]) == (county.clerk, county.reviewer)


@pytest.mark.django_db
def test_the_funding_request_pdf(county, plan, banks, tmp_path):
    fund_all(plan, {"psbc": banks["psbc"]}, county.reviewer)
    with time_machine.travel(T_APPROVE + datetime.timedelta(days=1), tick=False):
        pdf = funding_request_pdf(plan=plan)
    path = tmp_path / "funding.pdf"
    path.write_bytes(pdf)

    assert pdf_info(path)["Pages"] == "1"
    assert "(A4)" in pdf_info(path)["Page size"]
    assert "Noto" in pdf_fonts(path)
    text = pdf_text(path)
    for expected in (
        "养老金拨付申请",
        "2026年11月",
        "示范县社保局",
        "中国邮政储蓄银行",
        "养老金发放专户",
        "财政社会保障基金专户",
        "¥7,660.65",
        "¥5,784.00",
        "¥2,800.00",
        "¥16,244.65",
        "壹万陆仟贰佰肆拾肆元陆角伍分",
        "CZ2026-PSBC",
        "单位负责人",
        "单位公章",
    ):
        assert expected in text, expected


@pytest.mark.django_db
def test_a_draft_has_no_funding_request(county, enrol, banks):
    enrol_month(county, enrol)
    draft = plan_draft(month=NOV, by=county.clerk)
    with pytest.raises(PlanError):
        funding_request_context(plan=draft)
