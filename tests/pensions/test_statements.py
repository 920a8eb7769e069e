"""The enquiry statement (待遇查询单): its figures come from real plan lines and add up; the PDF is A4."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pensions.models import PayoutLine, PayoutPlan
from pensions.pdfs.statement import statement_pdf
from pensions.selectors.statements import (
    Statement,
    StatementError,
    retiree_statement,
    statement_period_parse,
)
from pensions.services import (
    plan_approve,
    plan_draft,
    plan_mark_exported,
    plan_mark_funded,
    plan_mark_reconciled,
    plan_submit,
)
from registry.models import ArrearsItem, PensionRate, Retiree
from registry.services import retiree_change_status
from tests.conftest import County
from tests.pdfs import pdf_fonts, pdf_info, pdf_text

from .conftest import Enrol, M, recovery

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
Status = Retiree.Status


def at(month: M, day: int = 5) -> time_machine.travel:
    return time_machine.travel(
        datetime.datetime(month.year, month.month, day, 9, 0, tzinfo=SHANGHAI), tick=False
    )


@dataclass
class History:
    retiree: Retiree
    other: Retiree  # township B


def _run_month(county: County, month: M, *, paid: bool, failed_reason: str = "") -> PayoutPlan:
    """Draft, submit, approve, fund and export a month; then the bank's answer (what P3's return-file import
    writes: every sent line paid, or this retiree's failed) and reconciliation."""
    with at(month):
        plan = plan_draft(month=month, by=county.clerk)
        if not paid:
            return plan
        plan_submit(plan=plan, by=county.clerk)
        plan_approve(plan=plan, by=county.reviewer)
        plan_mark_funded(plan=plan, by=county.reviewer)
        plan_mark_exported(plan=plan, by=county.clerk)
        sent = PayoutLine.objects.filter(plan=plan, is_withheld=False)
        sent.update(payment_status=PayoutLine.PaymentStatus.PAID)
        if failed_reason:
            sent.filter(name="赵国梁").update(
                payment_status=PayoutLine.PaymentStatus.FAILED, bank_reason=failed_reason
            )
        plan_mark_reconciled(plan=plan, by=county.clerk)
    return plan


@pytest.fixture
def history(county: County, enrol: Enrol) -> History:
    """Two years of one retiree's payouts, 2025-01 … 2026-11, made through the plan services:
    suspended 2025-06 and 2025-07 (withheld), restored in August with both months as arrears and a recovery of
    1,800.00 deducted 1,325.00 in August and 475.00 in September; a new rate from 2026-01; the February 2026
    payment returned by the bank and re-issued in March; a rate-change difference for 2026-03 paid in April;
    October exported and unanswered, November a draft, December not planned."""
    retiree = enrol(name="赵国梁", bank="ccb", rates=[(M(2018, 4), "2650.00")])
    Retiree.objects.filter(pk=retiree.pk).update(certificate_number="36072120180012")
    other = enrol(name="孙桂芳", community=county.community_b1, rates=[(M(2018, 4), "1980.00")])
    clerk = county.clerk
    for month in [M(2025, n) for n in range(1, 6)]:
        _run_month(county, month, paid=True)
    with at(M(2025, 5), 20):
        retiree_change_status(
            retiree=retiree,
            to_status=Status.SUSPENDED,
            effective_date=datetime.date(2025, 5, 20),
            reason="未按期认证",
            by=clerk,
        )
    _run_month(county, M(2025, 6), paid=True)
    _run_month(county, M(2025, 7), paid=True)
    with at(M(2025, 7), 20):
        retiree_change_status(
            retiree=retiree,
            to_status=Status.ACTIVE,
            effective_date=datetime.date(2025, 7, 20),
            reason="补办认证",
            by=clerk,
        )
        for month in (M(2025, 6), M(2025, 7)):
            ArrearsItem.objects.create(
                retiree=retiree,
                month=month.number,
                amount=D("2650.00"),
                reason=ArrearsItem.Reason.RESTORATION,
                note="恢复发放",
                created_by=clerk,
            )
        recovery(retiree, "1800.00", clerk, when=M(2024, 12))
    for month in [M(2025, n) for n in range(8, 13)]:
        _run_month(county, month, paid=True)
    with at(M(2025, 12), 20):
        PensionRate.objects.create(
            retiree=retiree,
            amount=D("2780.50"),
            effective_month=M(2026, 1).number,
            reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
            note="2026年调待",
            created_by=clerk,
        )
    _run_month(county, M(2026, 1), paid=True)
    _run_month(county, M(2026, 2), paid=True, failed_reason="账户已冻结")
    with at(M(2026, 2), 25):
        ArrearsItem.objects.create(
            retiree=retiree,
            month=M(2026, 2).number,
            amount=D("2780.50"),
            reason=ArrearsItem.Reason.FAILED_PAYMENT,
            created_by=clerk,
        )
    _run_month(county, M(2026, 3), paid=True)
    with at(M(2026, 3), 25):
        ArrearsItem.objects.create(
            retiree=retiree,
            month=M(2026, 3).number,
            amount=D("130.50"),
            reason=ArrearsItem.Reason.RATE_CHANGE,
            note="零星调资补差",
            created_by=clerk,
        )
    for month in [M(2026, n) for n in range(4, 10)]:
        _run_month(county, month, paid=True)
    with at(M(2026, 10)):
        october = plan_draft(month=M(2026, 10), by=clerk)
        plan_submit(plan=october, by=clerk)
        plan_approve(plan=october, by=county.reviewer)
        plan_mark_funded(plan=october, by=county.reviewer)
        plan_mark_exported(plan=october, by=clerk)
    _run_month(county, M(2026, 11), paid=False)
    retiree.refresh_from_db()
    return History(retiree=retiree, other=other)


def two_years(county: County, history: History, user: Any = None) -> Statement:
    with time_machine.travel(NOW, tick=False):
        return retiree_statement(
            user=user or county.clerk,
            retiree_pk=history.retiree.pk,
            from_month=M(2025, 1),
            to_month=M(2026, 12),
        )


def row(statement: Statement, month: M) -> Any:
    return next(r for r in statement.months if r.month == month)


@pytest.mark.django_db
def test_totals_equal_the_rows_to_the_fen(county, history):
    s = two_years(county, history)

    assert [r.month for r in s.months] == [M(2025, 1).plus(i) for i in range(24)]
    lines = [r for r in s.months if r.has_line]
    assert s.totals.line_count == len(lines) == 23
    for field in ("regular", "arrears", "deduction", "withheld", "net"):
        assert getattr(s.totals, field) == sum((getattr(r, field) for r in lines), D("0.00"))
    # exact: 2025 is 12 × 2,650.00 regular; 2026-01…11 is 11 × 2,780.50
    assert s.totals.regular == D("31800.00") + D("30585.50")
    assert s.totals.arrears == D("5300.00") + D("2780.50") + D("130.50")
    assert s.totals.deduction == D("1800.00")
    assert s.totals.withheld == D("5300.00")
    assert s.totals.net == D("62385.50") + D("8211.00") - D("1800.00") - D("5300.00") == D("63496.50")
    # the bank answered for 2025-01 … 2026-09 except the returned February; October and November wait
    assert s.totals.failed == D("2780.50")
    assert s.totals.pending == row(s, M(2026, 10)).net + row(s, M(2026, 11)).net == D("5561.00")
    assert s.totals.paid == D("55155.00")
    assert s.totals.paid + s.totals.failed + s.totals.pending == s.totals.net
    # and the lines are the plan lines, nothing else
    assert s.totals.net == sum(
        PayoutLine.objects.filter(retiree=history.retiree).values_list("net", flat=True), D("0.00")
    )
    assert s.arrears_total == sum((a.amount for a in s.arrears), D("0.00")) == D("8211.00")


@pytest.mark.django_db
def test_a_month_with_arrears_and_a_deduction_shows_both(county, history):
    s = two_years(county, history)

    august = row(s, M(2025, 8))
    assert (august.regular, august.arrears, august.deduction, august.withheld, august.net) == (
        D("2650.00"),
        D("5300.00"),
        D("1325.00"),
        D("0.00"),
        D("6625.00"),
    )
    assert august.status == "已到账"
    september = row(s, M(2025, 9))
    assert (september.deduction, september.net) == (D("475.00"), D("2175.00"))
    # the arrears items say where they were paid, the recovery what was deducted when
    released = {(a.month, a.released_into, a.amount) for a in s.arrears}
    assert released == {
        (M(2025, 6), M(2025, 8), D("2650.00")),
        (M(2025, 7), M(2025, 8), D("2650.00")),
        (M(2026, 2), M(2026, 3), D("2780.50")),
        (M(2026, 3), M(2026, 4), D("130.50")),
    }
    (rec,) = s.recoveries
    assert [(d.month, d.amount) for d in rec.deductions] == [
        (M(2025, 8), D("1325.00")),
        (M(2025, 9), D("475.00")),
    ]
    assert (rec.amount, rec.deducted, rec.balance, rec.status) == (
        D("1800.00"),
        D("1800.00"),
        D("0.00"),
        "已追回",
    )


@pytest.mark.django_db
def test_the_withheld_month_shows_withheld_and_net_0(county, history):
    s = two_years(county, history)

    for month in (M(2025, 6), M(2025, 7)):
        withheld = row(s, month)
        assert withheld.is_withheld is True
        assert (withheld.regular, withheld.withheld, withheld.net, withheld.arrears, withheld.deduction) == (
            D("2650.00"),
            D("2650.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
        )
        assert withheld.status == "暂停发放"


@pytest.mark.django_db
def test_rates_failures_and_months_without_a_line(county, history):
    s = two_years(county, history)

    assert [(r.effective_month, r.amount, r.period_from, r.period_to) for r in s.rates] == [
        (M(2018, 4), D("2650.00"), M(2025, 1), M(2025, 12)),
        (M(2026, 1), D("2780.50"), M(2026, 1), M(2026, 12)),
    ]
    assert row(s, M(2025, 12)).rate == D("2650.00")
    assert row(s, M(2026, 1)).rate == D("2780.50")
    february = row(s, M(2026, 2))
    assert (february.status, february.note, february.net) == ("发放失败", "账户已冻结", D("2780.50"))
    assert row(s, M(2026, 10)).status == "待发放"
    assert row(s, M(2026, 11)).status == "计划未审批"
    december = row(s, M(2026, 12))
    assert (december.has_line, december.net, december.note) == (False, None, "尚未编制发放计划")
    assert (s.identity.name, s.identity.certificate_number, s.identity.township) == (
        "赵国梁",
        "36072120180012",
        "城关镇",
    )
    assert "*" in s.identity.masked_id_number
    assert (s.issuer, s.printed_by) == ("示范县社保局", county.clerk.display_name)


@pytest.mark.django_db
def test_months_before_entitlement_and_not_in_the_plan(county, enrol):
    # Given a retiree who retired in March 2026 and whose regular payment starts in May (intake in April)
    newcomer = enrol(name="钱文华", rates=[(M(2026, 4), "3100.00")], regular_payment_from=M(2026, 5))
    Retiree.objects.filter(pk=newcomer.pk).update(retirement_date=datetime.date(2026, 3, 31))
    for month in (M(2026, 3), M(2026, 4), M(2026, 5)):
        with at(month):
            plan_draft(month=month, by=county.clerk)

    with time_machine.travel(NOW, tick=False):
        s = retiree_statement(
            user=county.clerk, retiree_pk=newcomer.pk, from_month=M(2026, 2), to_month=M(2026, 6)
        )

    assert [(r.month, r.has_line, r.note) for r in s.months] == [
        (M(2026, 2), False, "未到待遇领取时间"),
        (M(2026, 3), False, "未到待遇领取时间"),
        (M(2026, 4), False, "登记前月份,以补发方式发放"),
        (M(2026, 5), True, ""),
        (M(2026, 6), False, "尚未编制发放计划"),
    ]
    assert (s.totals.line_count, s.totals.net) == (1, D("3100.00"))


@pytest.mark.django_db
def test_township_staff_print_for_their_own_retirees_only(county, history):
    mine = two_years(county, history, user=county.officer_a)
    assert mine.identity.name == "赵国梁"

    with pytest.raises(Http404):
        two_years(county, history, user=county.officer_b)

    client = Client()
    client.force_login(county.officer_b)
    url = reverse("retiree-statement-pdf", args=[history.retiree.pk])
    assert client.get(url, {"from": "2025-01", "to": "2026-12"}).status_code == 404
    assert client.get(f"/api/pensions/retirees/{history.retiree.pk}/statement.pdf").status_code == 404


@pytest.mark.parametrize(
    ("from_text", "to_text", "message", "field"),
    [
        ("2026-12", "2025-01", "查询起始月份 2026-12 晚于截止月份 2025-01。", "from"),
        ("2015-01", "2025-01", "一次最多查询 10 年(120 个月),请分段打印。", "to"),
        ("2025-13", "2026-01", "请按“年-月”填写月份,例如 2026-04,而不是“2025-13”。", "from"),
    ],
)
def test_period_is_checked_with_a_chinese_message(from_text, to_text, message, field):
    with pytest.raises(StatementError) as refused:
        statement_period_parse(from_text=from_text, to_text=to_text)
    assert (refused.value.message, refused.value.field) == (message, field)


def test_period_of_ten_years_and_the_default():
    assert statement_period_parse(from_text="2016-01", to_text="2025-12") == (M(2016, 1), M(2025, 12))
    today = datetime.date(2026, 11, 25)
    assert statement_period_parse(from_text="", to_text=None, today=today) == (M(2025, 12), M(2026, 11))
    assert statement_period_parse(from_text="2025-03", to_text="", today=today) == (M(2025, 3), M(2026, 2))


@pytest.mark.django_db
def test_a_refused_period_changes_nothing_and_comes_back_as_the_form(county, history):
    lines_before = list(PayoutLine.objects.order_by("id").values_list("id", "net", "payment_status"))
    client = Client()
    client.force_login(county.clerk)

    page = client.get(
        reverse("retiree-statement-pdf", args=[history.retiree.pk]), {"from": "2026-12", "to": "2025-01"}
    )
    api = client.get(
        f"/api/pensions/retirees/{history.retiree.pk}/statement.pdf", {"from": "2015-01", "to": "2025-01"}
    )

    assert page.status_code == 400
    assert "查询起始月份 2026-12 晚于截止月份 2025-01。" in page.content.decode()
    assert api.status_code == 400
    assert api.json() == {"to": ["一次最多查询 10 年(120 个月),请分段打印。"]}
    assert list(PayoutLine.objects.order_by("id").values_list("id", "net", "payment_status")) == lines_before


@pytest.fixture
def statement_file(county: County, history: History, tmp_path: Path) -> Path:
    path = tmp_path / "statement.pdf"
    path.write_bytes(statement_pdf(two_years(county, history)))
    return path


@pytest.mark.django_db
def test_pdf_is_a4_with_name_number_and_totals(statement_file):
    info = pdf_info(statement_file)
    assert "(A4)" in info["Page size"]
    assert int(info["Pages"]) >= 2
    text = pdf_text(statement_file)
    assert "企业退休人员养老金待遇查询单" in text
    assert "赵国梁" in text
    assert "36072120180012" in text
    assert "示范县社保局" in text
    assert "¥63,496.50" in text  # the net total of the rows
    assert re.search(rf"第\s*1\s*页\s*共\s*{info['Pages']}\s*页", text)
    # the months table's header is repeated on the second page
    second = text.split("\f")[1]
    assert "按月发放" in second and "实发" in second


@pytest.mark.django_db
def test_pdf_font_is_embedded(statement_file):
    fonts = pdf_fonts(statement_file).splitlines()[2:]
    assert fonts
    assert all("Noto" in line and " yes " in line for line in fonts), fonts


@pytest.mark.django_db
def test_page_and_api_return_the_pdf(county, history):
    client = Client()
    client.force_login(county.officer_a)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("retiree-statement-pdf", args=[history.retiree.pk]), {"from": "2026-01"})
        form = client.get(reverse("retiree-statement", args=[history.retiree.pk]))
        record = client.get(reverse("retiree-detail", args=[history.retiree.pk]))
        api = client.get(
            f"/api/pensions/retirees/{history.retiree.pk}/statement.pdf", {"from": "2025-01", "to": "2026-12"}
        )

    assert page.status_code == 200
    assert page["Content-Type"] == "application/pdf"
    assert page["Content-Disposition"] == 'inline; filename="statement-36072120180012-202601-202612.pdf"'
    assert page.content.startswith(b"%PDF")
    assert form.status_code == 200
    assert 'value="2025-12"' in form.content.decode() and 'value="2026-11"' in form.content.decode()
    assert "打印待遇查询单" in record.content.decode()
    assert reverse("retiree-statement-pdf", args=[history.retiree.pk]) in record.content.decode()
    assert api.status_code == 200
    assert api["Content-Type"] == "application/pdf"
    assert api.content.startswith(b"%PDF")
    # a client that asks for a PDF by its Accept header gets it too
    asked = client.get(
        f"/api/pensions/retirees/{history.retiree.pk}/statement.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert (asked.status_code, asked["Content-Type"]) == (200, "application/pdf")


@pytest.mark.django_db
def test_the_english_pdf_has_english_dates(county, history, tmp_path):
    """Dates go through Django's localized formats: no 年/月 in the English statement."""
    with translation.override("en"):
        path = tmp_path / "statement-en.pdf"
        path.write_bytes(statement_pdf(two_years(county, history)))
    text = pdf_text(path)
    retired = history.retiree.retirement_date
    assert f"{retired:%B} {retired.year}" in text  # YEAR_MONTH_FORMAT in English, e.g. "March 2018"
    assert f"{retired.year}年" not in text
