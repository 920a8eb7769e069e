"""Return files (回盘): each sent line marked paid or failed with the bank's reason, never an amount changed;
the same file twice is a no-op; a file that does not answer what was sent is refused whole; failed lines are
re-issued once or paid by hand, never both; the plan is reconciled when every bank has answered."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from pensions.bankfiles import payment_reference
from pensions.errors import PlanError
from pensions.models import (
    BankFile,
    FailedPaymentResolution,
    PayoutLine,
    PayoutPlan,
    ReturnFile,
)
from pensions.selectors import plan_bank_files, plan_failed_lines
from pensions.services import (
    bank_file_download,
    failed_line_paid_by_hand,
    failed_line_reissue,
    payment_lines,
    plan_draft,
    return_file_import,
)
from registry.models import ArrearsItem

from .conftest import NOV
from .payout_flow import T_RETURN, bank_answer, enrol_month, exported_plan, set_profiles

S = PayoutPlan.Status
P = PayoutLine.PaymentStatus


@pytest.fixture
def exported(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    return exported_plan(county, banks)


def lines_of(plan, bank) -> list[PayoutLine]:
    return list(PayoutLine.objects.filter(plan=plan, bank=bank, is_withheld=False).order_by("id"))


def ref(line: PayoutLine) -> str:
    return payment_reference(plan_id=line.plan_id, line_id=line.pk)


def snapshot(plan) -> list[tuple]:
    """Everything a refused import must leave as it was."""
    return list(
        PayoutLine.objects.filter(plan=plan)
        .order_by("id")
        .values_list(
            "id", "regular", "arrears", "deduction", "withheld", "net", "payment_status", "bank_reason"
        )
    )


def amounts(plan) -> list[tuple]:
    return list(
        PayoutLine.objects.filter(plan=plan).order_by("id").values_list("id", "net", "regular", "arrears")
    )


def answer(bank_file: BankFile, content: bytes, by, *, name: str = "return.txt"):
    with time_machine.travel(T_RETURN, tick=False):
        return return_file_import(bank_file=bank_file, content=content, by=by, name=name)


@pytest.mark.django_db
def test_two_failures_mark_exactly_those_lines_failed_with_the_reasons(county, banks, exported):
    plan, files = exported
    before = amounts(plan)
    zhang, li, wang = lines_of(plan, banks["psbc"])
    content = bank_answer(
        files["psbc"], failures={ref(zhang): ("3001", "账户已销户"), ref(wang): ("3002", "户名与账号不符")}
    )

    result = answer(files["psbc"], content, county.clerk, name="PSBC_RET.txt")

    assert not result.already_imported
    assert not result.plan_reconciled  # two banks still to answer
    statuses = {
        line.name: (line.payment_status, line.bank_reason)
        for line in PayoutLine.objects.filter(plan=plan, bank=banks["psbc"])
    }
    assert statuses == {
        "张建国": (P.FAILED, "3001 账户已销户"),
        "李秀兰": (P.PAID, ""),
        "王德胜": (P.FAILED, "3002 户名与账号不符"),
        "赵停发": (P.PENDING, ""),  # withheld: not sent, not answered
    }
    # The other banks' lines are untouched, and no amount anywhere changed.
    assert set(PayoutLine.objects.exclude(bank=banks["psbc"]).values_list("payment_status", flat=True)) == {
        P.PENDING
    }
    assert amounts(plan) == before
    stored = result.return_file
    stored.refresh_from_db()
    assert (stored.paid_count, stored.paid_total, stored.failed_count, stored.failed_total) == (
        1,
        Decimal("3120.55"),
        2,
        Decimal("4540.10"),
    )
    assert (stored.name, stored.imported_by, stored.imported_at) == ("PSBC_RET.txt", county.clerk, T_RETURN)
    assert bytes(stored.content) == content
    plan.refresh_from_db()
    assert plan.status == S.EXPORTED


@pytest.mark.django_db
def test_the_same_return_file_again_changes_nothing_and_says_so(county, banks, exported):
    plan, files = exported
    zhang, _li, _wang = lines_of(plan, banks["psbc"])
    content = bank_answer(files["psbc"], failures={ref(zhang): ("3001", "账户已销户")})
    first = answer(files["psbc"], content, county.clerk)
    after_first = snapshot(plan)

    again = answer(files["psbc"], content, county.admin)

    assert again.already_imported
    assert again.return_file.pk == first.return_file.pk
    assert ReturnFile.objects.count() == 1
    assert snapshot(plan) == after_first


@pytest.mark.django_db
def test_a_different_second_return_file_is_refused(county, banks, exported):
    plan, files = exported
    zhang, _li, _wang = lines_of(plan, banks["psbc"])
    answer(files["psbc"], bank_answer(files["psbc"]), county.clerk)
    after_first = snapshot(plan)

    with pytest.raises(PlanError, match="已于 2026-11-20 16:00 导入过另一份回盘文件"):
        answer(files["psbc"], bank_answer(files["psbc"], failures={ref(zhang): ("3001", "x")}), county.clerk)
    assert snapshot(plan) == after_first
    assert ReturnFile.objects.count() == 1


def _forged(bank_file: BankFile, change) -> bytes:
    assert bank_file.plan is not None
    sent = payment_lines(plan=bank_file.plan, bank_id=bank_file.bank_id)[bank_file.bank_id]
    return bank_answer(bank_file, lines=change(sent))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        # A changed amount (count and total of the file still consistent with its own lines).
        (
            lambda sent: [dataclasses.replace(sent[0], amount=sent[0].amount + Decimal("0.01")), *sent[1:]],
            r"金额 \d+\.\d{2} 与发出的 \d+\.\d{2} 不同",
        ),
        # A reference that was never sent, in place of one that was.
        (
            lambda sent: [dataclasses.replace(sent[0], reference="P999L999"), *sent[1:]],
            "P999L999 不是这个文件发出的",
        ),
        # One line left out: count and total differ from what was sent.
        (lambda sent: sent[1:], "回盘汇总 2 笔 ¥5,010.65,与发出的 3 笔 ¥7,660.65 不一致"),
    ],
    ids=["changed-amount", "unknown-reference", "wrong-total"],
)
def test_a_return_file_that_does_not_answer_what_was_sent_is_refused(
    county, banks, exported, change, message
):
    plan, files = exported
    before = snapshot(plan)

    with pytest.raises(PlanError, match=message) as refused:
        answer(files["psbc"], _forged(files["psbc"], change), county.clerk)

    assert refused.value.field == "file"
    assert snapshot(plan) == before
    assert ReturnFile.objects.count() == 0


@pytest.mark.django_db
def test_a_malformed_return_file_is_refused(county, banks, exported):
    plan, files = exported
    before = snapshot(plan)
    with pytest.raises(PlanError):
        answer(files["psbc"], b"not a return file\r\n", county.clerk)
    with pytest.raises(PlanError):
        answer(files["ccb"], b"PK\x03\x04 broken", county.clerk)
    assert snapshot(plan) == before
    assert ReturnFile.objects.count() == 0


@pytest.mark.django_db
def test_the_plan_is_reconciled_when_every_bank_has_answered(county, banks, exported):
    plan, files = exported
    (single,) = lines_of(plan, banks["rcc"])
    answer(files["psbc"], bank_answer(files["psbc"]), county.clerk)
    answer(
        files["rcc"], bank_answer(files["rcc"], failures={ref(single): ("3003", "账户冻结")}), county.clerk
    )
    plan.refresh_from_db()
    assert plan.status == S.EXPORTED

    # One set of bytes for both imports: an xlsx built twice can differ in its zip timestamps.
    ccb_answer = bank_answer(files["ccb"])
    result = answer(files["ccb"], ccb_answer, county.clerk)

    assert result.plan_reconciled
    plan.refresh_from_db()
    assert plan.status == S.RECONCILED
    last = plan.transitions.order_by("id").last()
    assert (last.from_status, last.to_status, last.by, last.at, last.reason) == (
        "exported",
        "reconciled",
        county.clerk,
        T_RETURN,
        "全部回盘文件已导入",
    )
    assert dict(
        PayoutLine.objects.filter(plan=plan, is_withheld=False).values_list("name", "payment_status")
    ) == {
        "张建国": P.PAID,
        "李秀兰": P.PAID,
        "王德胜": P.PAID,
        "曾国华": P.FAILED,
        "单立新": P.PAID,
        "解红梅": P.PAID,
    }
    # Once reconciled, the same file again is still a no-op, not an error.
    assert answer(files["ccb"], ccb_answer, county.clerk).already_imported


@pytest.mark.django_db
def test_import_needs_the_clerk_role(county, banks, exported):
    plan, files = exported
    with pytest.raises(PermissionDenied):
        answer(files["psbc"], bank_answer(files["psbc"]), county.officer_a)
    assert ReturnFile.objects.count() == 0


@pytest.fixture
def failed_line(county, banks, exported) -> PayoutLine:
    plan, files = exported
    zhang, _li, _wang = lines_of(plan, banks["psbc"])
    answer(
        files["psbc"], bank_answer(files["psbc"], failures={ref(zhang): ("3001", "账户已销户")}), county.clerk
    )
    zhang.refresh_from_db()
    return zhang


@pytest.mark.django_db
def test_a_failed_line_is_reissued_once_as_arrears(county, failed_line):
    with time_machine.travel(T_RETURN, tick=False):
        resolution = failed_line_reissue(line=failed_line, by=county.clerk)

    item = resolution.arrears_item
    assert (item.retiree_id, item.month, item.amount, item.reason) == (
        failed_line.retiree_id,
        NOV,
        Decimal("2650.00"),
        ArrearsItem.Reason.FAILED_PAYMENT,
    )
    assert item.note == "2026-11 发放失败重发:3001 账户已销户"
    assert (resolution.kind, resolution.by, resolution.at) == ("reissued", county.clerk, T_RETURN)

    with pytest.raises(PlanError, match=r"已处理过\(转入下月补发\)"):
        failed_line_reissue(line=failed_line, by=county.clerk)
    assert ArrearsItem.objects.filter(reason=ArrearsItem.Reason.FAILED_PAYMENT).count() == 1
    assert FailedPaymentResolution.objects.count() == 1


@pytest.mark.django_db
def test_the_next_plan_pays_the_reissued_amount(county, failed_line):
    failed_line_reissue(line=failed_line, by=county.clerk)

    with time_machine.travel(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=T_RETURN.tzinfo), tick=False):
        december = plan_draft(month=NOV.next(), by=county.clerk)

    line = december.lines.get(retiree_id=failed_line.retiree_id)
    assert (line.regular, line.arrears, line.net) == (
        Decimal("2650.00"),
        Decimal("2650.00"),
        Decimal("5300.00"),
    )


@pytest.mark.django_db
def test_a_manual_payment_excludes_a_reissue(county, failed_line):
    with time_machine.travel(T_RETURN, tick=False):
        paid = failed_line_paid_by_hand(line=failed_line, reference=" SG-2026-031 ", by=county.clerk)

    assert (paid.kind, paid.reference, paid.paid_on, paid.arrears_item) == (
        "paid_by_hand",
        "SG-2026-031",
        datetime.date(2026, 11, 20),
        None,
    )
    with pytest.raises(PlanError, match=r"已处理过\(手工发放\)"):
        failed_line_reissue(line=failed_line, by=county.clerk)
    with pytest.raises(PlanError):
        failed_line_paid_by_hand(line=failed_line, reference="again", by=county.clerk)
    assert ArrearsItem.objects.filter(reason=ArrearsItem.Reason.FAILED_PAYMENT).count() == 0
    assert FailedPaymentResolution.objects.count() == 1


@pytest.mark.django_db
def test_a_reissue_excludes_a_manual_payment(county, failed_line):
    failed_line_reissue(line=failed_line, by=county.clerk)
    with pytest.raises(PlanError, match="已处理过"):
        failed_line_paid_by_hand(line=failed_line, reference="SG-1", by=county.clerk)
    assert FailedPaymentResolution.objects.count() == 1


@pytest.mark.django_db
def test_only_a_failed_line_is_reissued_or_paid_by_hand(county, banks, failed_line):
    paid = PayoutLine.objects.get(plan=failed_line.plan, name="李秀兰")
    with pytest.raises(PlanError, match="没有失败"):
        failed_line_reissue(line=paid, by=county.clerk)
    with pytest.raises(PlanError, match="没有失败"):
        failed_line_paid_by_hand(line=paid, reference="SG-1", by=county.clerk)
    with pytest.raises(PlanError) as blank:
        failed_line_paid_by_hand(line=failed_line, reference=" ", by=county.clerk)
    assert blank.value.field == "reference"
    with pytest.raises(PermissionDenied):
        failed_line_reissue(line=failed_line, by=county.officer_a)
    assert FailedPaymentResolution.objects.count() == 0
    assert ArrearsItem.objects.count() == 0


@pytest.mark.django_db
def test_the_selectors_show_files_answers_and_failed_lines(county, banks, failed_line):
    plan = failed_line.plan
    bank_file_download(bank_file=BankFile.objects.get(plan=plan, bank=banks["psbc"]), by=county.clerk)
    failed_line_reissue(line=failed_line, by=county.clerk)

    files = {file.bank.code: file for file in plan_bank_files(plan=plan)}
    assert {code: file.download_count for code, file in files.items()} == {"CCB": 0, "PSBC": 1, "RCC": 0}
    assert files["PSBC"].return_file.failed_count == 1
    assert not hasattr(files["CCB"], "return_file")  # no answer yet
    (line,) = plan_failed_lines(plan=plan)
    assert (line.pk, line.failure_resolution.kind, line.failure_resolution.arrears_item.amount) == (
        failed_line.pk,
        "reissued",
        Decimal("2650.00"),
    )


@pytest.mark.django_db
def test_a_return_file_too_large_or_with_more_rows_than_were_sent_is_refused_before_parsing(
    county, banks, exported, settings
):
    plan, files = exported
    before = snapshot(plan)
    sent = files["psbc"].line_count
    many = b"x\r\n" * (sent + 11)
    with pytest.raises(PlanError) as refused:
        answer(files["psbc"], many, county.clerk)
    assert refused.value.message == (
        f"回盘文件有 {sent + 11} 行,而银行文件 {files['psbc'].name} 只发出 {sent} 笔,不是这份银行文件的回盘。"
    )
    settings.RETURN_FILE_MAX_UPLOAD_MB = 0
    with pytest.raises(PlanError) as too_large:
        answer(files["psbc"], bank_answer(files["psbc"], failures={}), county.clerk)
    assert too_large.value.message == "回盘文件超过 0 MB 的上限,没有导入。请核对是否选错了文件。"
    assert snapshot(plan) == before
    assert not ReturnFile.objects.exists()
