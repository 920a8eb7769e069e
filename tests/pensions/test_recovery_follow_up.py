"""Following up an after-death recovery (docs/recoveries.md): a retiree who died in September 2026 was paid
October and November (2,800.00 each, PSBC): a recovery of 5,600.00 with one RecoveryLine per month. The family
refunds 1,000.00 at the counter (receipt PDF), the bank is asked for the rest and returns 3,000.00 (balance
1,600.00), the case is referred for legal action, a reviewer who did not record the recovery writes the rest
off. A failed bank return for November: the month was never paid, 2,800.00 comes off via the NOT_DUE path and
is never re-issued. Open recoveries by age, at the band boundaries."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from pensions.errors import PlanError
from pensions.models import (
    FailedPaymentResolution,
    PayoutLine,
    PayoutPlan,
    RecoveryClawback,
    RecoveryDocumentPrint,
    RecoveryLine,
    RecoveryReferral,
)
from pensions.pdfs.recovery_documents import (
    clawback_letter_pdf,
    clawback_xlsx,
    referral_letter_pdf,
    refund_receipt_pdf,
)
from pensions.selectors import recovery_aging, recovery_balance, recovery_history
from pensions.services import (
    after_death_failed_lines_settle,
    failed_line_reissue,
    plan_approve,
    plan_draft,
    plan_submit,
    recovery_clawback_request,
    recovery_clawback_result,
    recovery_referral_create,
    recovery_referral_update,
    recovery_refund_record,
    return_file_import,
    write_off_request,
    write_off_request_approve,
)
from registry.models import Recovery, Retiree
from registry.services.sensitive import ExportNumbers
from tests.pdfs import pdf_text

from .conftest import NOV, M, recovery
from .payout_flow import approved_plan, bank_answer, bank_total, set_profiles

pytestmark = pytest.mark.django_db
D = Decimal
SH = ZoneInfo("Asia/Shanghai")
OCT = M(2026, 10)
DIED_ON = datetime.date(2026, 9, 14)
T_OPENED = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=SH)
T_REFUND = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=SH)
T_REQUEST = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=SH)
T_RESULT = datetime.datetime(2026, 12, 8, 15, 0, tzinfo=SH)
T_REFER = datetime.datetime(2026, 12, 20, 9, 0, tzinfo=SH)
T_WRITE_OFF = datetime.datetime(2027, 3, 2, 10, 0, tzinfo=SH)
FULL = ExportNumbers(full=True, purpose="bank_check")


def _plan(county, month, day: int) -> PayoutPlan:
    with time_machine.travel(datetime.datetime(month.year, month.month, day, 9, 0, tzinfo=SH), tick=False):
        plan = plan_draft(month=month, by=county.clerk)
        plan_submit(plan=plan, by=county.clerk)
    with time_machine.travel(
        datetime.datetime(month.year, month.month, day + 1, 9, 0, tzinfo=SH), tick=False
    ):
        plan_approve(plan=plan, by=county.reviewer)
    return plan


def after_death_recovery(retiree: Retiree, lines: list[PayoutLine], by, *, at=T_OPENED) -> Recovery:
    """What the death confirmation writes (pensions.services.after_death, another branch): one recovery of
    the months paid after the death month, one RecoveryLine per month."""
    retiree.status = Retiree.Status.DECEASED
    retiree.died_on = DIED_ON
    retiree.save(update_fields=["status", "died_on"])
    with time_machine.travel(at, tick=False):
        item = Recovery.objects.create(
            retiree=retiree,
            amount=sum((line.net for line in lines), D("0.00")),
            from_month=min(line.plan.month for line in lines).number,
            to_month=max(line.plan.month for line in lines).number,
            reason=Recovery.Reason.AFTER_DEATH,
            note="死亡后多发",
            created_by=by,
        )
    for line in lines:
        RecoveryLine.objects.create(recovery=item, line=line, month=line.plan.month, amount=line.net)
    return item


@pytest.fixture
def deceased(county, enrol):
    return enrol(name="周德明", rates=((M(2025, 10), "2800.00"),), bank="psbc")


@pytest.fixture
def owed(county, deceased) -> Recovery:
    """October and November paid (approved plans) after a death in September: 5,600.00."""
    october = _plan(county, OCT, 5)
    november = approved_plan(county)
    lines = [PayoutLine.objects.get(plan=plan, retiree=deceased) for plan in (october, november)]
    return after_death_recovery(deceased, lines, county.clerk)


def balance(item: Recovery) -> Decimal:
    return recovery_balance(recovery=item)


def status(item: Recovery) -> str:
    item.refresh_from_db()
    return item.status


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# The whole follow-up ------------------------------------------------------------------------------------------


def test_refund_receipt_clawback_referral_and_write_off(county, banks, owed, tmp_path):
    assert balance(owed) == D("5600.00")

    with time_machine.travel(T_REFUND, tick=False):
        refund = recovery_refund_record(
            recovery=owed,
            amount=D("1000.00"),
            reference="SJ-2026-118",
            paid_on=datetime.date(2026, 11, 26),
            payer="周小梅",
            by=county.clerk,
        )
        text = pdf_text(write(tmp_path / "receipt.pdf", refund_receipt_pdf(refund=refund)))
    assert balance(owed) == D("4600.00")
    squashed = "".join(text.split())
    for expected in (
        "收款收据",
        "周小梅",
        "周德明",
        "2026-10,2026-11",
        "¥1,000.00",
        "人民币壹仟元整",
        "SJ-2026-118",
        county.clerk.display_name,
        "2026-11-26",
    ):
        assert expected in squashed, expected
    assert owed.retiree.id_number not in squashed  # masked on the receipt

    with time_machine.travel(T_REQUEST, tick=False):
        clawback = recovery_clawback_request(recovery=owed, bank=banks["psbc"], by=county.clerk)
    line = PayoutLine.objects.filter(retiree=owed.retiree).order_by("-plan__month").first()
    assert (clawback.status, clawback.requested_amount, clawback.account_number) == (
        RecoveryClawback.Status.REQUESTED,
        D("4600.00"),
        line.account_number,
    )
    assert balance(owed) == D("4600.00")  # a request lowers nothing

    masked = "".join(pdf_text(write(tmp_path / "letter.pdf", clawback_letter_pdf(clawback=clawback))).split())
    assert "中国邮政储蓄银行" in masked and "¥4,600.00" in masked and "肆仟陆佰元整" in masked
    assert line.account_number not in masked and owed.retiree.id_number not in masked
    full = "".join(
        pdf_text(write(tmp_path / "full.pdf", clawback_letter_pdf(clawback=clawback, numbers=FULL))).split()
    )
    assert line.account_number in full and owed.retiree.id_number in full
    sheet = io.BytesIO()
    assert clawback_xlsx(clawback=clawback, target=sheet, numbers=FULL) == 2
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [line.account_number, line.account_number]
    assert [(row[4], row[5]) for row in rows[1:]] == [("2026-10", 2800), ("2026-11", 2800)]

    with time_machine.travel(T_RESULT, tick=False):
        returned = recovery_clawback_result(
            clawback=clawback,
            returned_amount=D("3000.00"),
            returned_on=datetime.date(2026, 12, 8),
            reference="YC-20261208-07",
            by=county.clerk,
        )
    assert (returned.status, returned.returned_amount) == (RecoveryClawback.Status.RETURNED, D("3000.00"))
    assert (balance(owed), status(owed)) == (D("1600.00"), Recovery.Status.OPEN)

    with time_machine.travel(T_REFER, tick=False):
        referral = recovery_referral_create(
            recovery=owed,
            agency="某县人民法院",
            referred_on=datetime.date(2026, 12, 20),
            case_number="",
            note="家属拒不退还",
            by=county.clerk,
        )
        referral = recovery_referral_update(
            referral=referral,
            status=RecoveryReferral.Status.IN_PROCEEDINGS,
            case_number="(2026)某民初1234号",
            note="已立案",
            by=county.clerk,
        )
        letter = "".join(
            pdf_text(write(tmp_path / "referral.pdf", referral_letter_pdf(referral=referral))).split()
        )
    for expected in (
        "案件移送函",
        "某县人民法院",
        "周德明",
        "2026-10",
        "2026-11",
        "¥5,600.00",
        "¥4,000.00",
        "¥1,600.00",
        "(2026)某民初1234号",
        "壹仟陆佰元整",
    ):
        assert expected in letter, expected

    history = recovery_history(recovery=owed)
    assert [str(item.month) for item in history.months] == ["2026-10", "2026-11"]
    assert [item.pk for item in history.clawbacks] == [clawback.pk]
    assert history.referral is not None and history.referral.status == RecoveryReferral.Status.IN_PROCEEDINGS

    with time_machine.travel(T_WRITE_OFF, tick=False):
        asked = write_off_request(recovery=owed, reason="诉讼终结,无财产可供执行", by=county.clerk)
        with pytest.raises(PermissionDenied):  # a clerk asks, never approves
            write_off_request_approve(request=asked, by=county.clerk, expected_balance=D("1600.00"))
        done = write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("1600.00"))
    assert done.amount == D("1600.00")
    assert (balance(owed), status(owed)) == (D("0.00"), Recovery.Status.WRITTEN_OFF)
