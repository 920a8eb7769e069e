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
from django.http import HttpResponse
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from pensions.bankfiles import payment_reference
from pensions.errors import PlanError
from pensions.models import (
    FailedPaymentResolution,
    PayoutLine,
    RecoveryClawback,
    RecoveryDocumentPrint,
    RecoveryReferral,
)
from pensions.pdfs.recovery_documents import (
    clawback_letter_pdf,
    clawback_xlsx,
    referral_letter_pdf,
    refund_receipt_pdf,
)
from pensions.selectors import recovery_aging, recovery_aging_xlsx, recovery_balance, recovery_history
from pensions.services import (
    after_death_failed_lines_settle,
    bank_files_export,
    failed_line_reissue,
    funding_record,
    recovery_clawback_request,
    recovery_clawback_result,
    recovery_referral_create,
    recovery_referral_update,
    recovery_refund_record,
    return_file_import,
    write_off_request,
    write_off_request_approve,
)
from registry.models import Recovery, Retiree, SensitiveExport
from registry.services.sensitive import ExportNumbers
from tests.pdfs import pdf_text

from .after_death_flow import OCT, after_death_recovery, paid_after_death, plan_month
from .conftest import M, recovery
from .payout_flow import T_EXPORT, T_FUND, T_RETURN, approved_plan, bank_answer, bank_total, set_profiles

pytestmark = pytest.mark.django_db
D = Decimal
SH = ZoneInfo("Asia/Shanghai")
T_REFUND = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=SH)
T_REQUEST = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=SH)
T_RESULT = datetime.datetime(2026, 12, 8, 15, 0, tzinfo=SH)
T_REFER = datetime.datetime(2026, 12, 20, 9, 0, tzinfo=SH)
T_WRITE_OFF = datetime.datetime(2027, 3, 2, 10, 0, tzinfo=SH)
FULL = ExportNumbers(full=True, purpose="bank_reconciliation")


@pytest.fixture
def deceased(county, enrol):
    return enrol(name="周德明", rates=((M(2025, 10), "2800.00"),), bank="psbc")


@pytest.fixture
def owed(county, deceased) -> Recovery:
    """October and November paid (approved plans) after a death in September: 5,600.00."""
    return paid_after_death(county, deceased)


def balance(item: Recovery) -> Decimal:
    return recovery_balance(recovery=item)


def status(item: Recovery) -> str:
    item.refresh_from_db()
    return item.status


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# The whole follow-up ----------------------------------------------------------------------------------------


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


def test_referral_moves_forward_only_and_once_per_recovery(county, owed):
    with time_machine.travel(T_REFER, tick=False):
        referral = recovery_referral_create(
            recovery=owed, agency="某县公安局", referred_on=datetime.date(2026, 12, 20), by=county.clerk
        )
        with pytest.raises(PlanError) as twice:
            recovery_referral_create(
                recovery=owed, agency="某县人民法院", referred_on=datetime.date(2026, 12, 20), by=county.clerk
            )
        assert twice.value.field == "agency"
        with pytest.raises(PlanError) as no_case:
            recovery_referral_update(
                referral=referral, status=RecoveryReferral.Status.IN_PROCEEDINGS, by=county.clerk
            )
        assert no_case.value.field == "case_number"
        closed = recovery_referral_update(
            referral=referral, status=RecoveryReferral.Status.CLOSED, by=county.clerk
        )
        with pytest.raises(PlanError):
            recovery_referral_update(
                referral=closed, status=RecoveryReferral.Status.REFERRED, by=county.clerk
            )
        with pytest.raises(PermissionDenied):
            recovery_referral_create(
                recovery=owed,
                agency="某县人民法院",
                referred_on=datetime.date(2026, 12, 20),
                by=county.auditor,
            )
    assert RecoveryReferral.objects.get().status == RecoveryReferral.Status.CLOSED


def test_clawback_refusals_change_nothing(county, banks, owed):
    with time_machine.travel(T_REQUEST, tick=False):
        with pytest.raises(PlanError) as other_bank:  # no month was paid through the RCC
            recovery_clawback_request(recovery=owed, bank=banks["rcc"], by=county.clerk)
        assert other_bank.value.field == "bank"
        clawback = recovery_clawback_request(recovery=owed, bank=banks["psbc"], by=county.clerk)
        with pytest.raises(PlanError):  # one request waiting per bank
            recovery_clawback_request(recovery=owed, bank=banks["psbc"], by=county.clerk)
    assert clawback.requested_amount == D("5600.00")
    with time_machine.travel(T_RESULT, tick=False):
        for amount, field in ((D("5600.01"), "returned_amount"), (D("0.00"), "returned_amount")):
            with pytest.raises(PlanError) as refused:
                recovery_clawback_result(
                    clawback=clawback,
                    returned_amount=amount,
                    returned_on=datetime.date(2026, 12, 8),
                    reference="YC-1",
                    by=county.clerk,
                )
            assert refused.value.field == field
        with pytest.raises(PlanError) as future:
            recovery_clawback_result(
                clawback=clawback,
                returned_amount=D("100.00"),
                returned_on=datetime.date(2026, 12, 9),
                reference="YC-1",
                by=county.clerk,
            )
        assert future.value.field == "returned_on"
        with pytest.raises(PlanError) as no_note:
            recovery_clawback_result(
                clawback=clawback, returned_amount=None, returned_on=None, reference="", by=county.clerk
            )
        assert no_note.value.field == "note"
    clawback.refresh_from_db()
    assert (clawback.status, balance(owed)) == (RecoveryClawback.Status.REQUESTED, D("5600.00"))

    with time_machine.travel(T_RESULT, tick=False):
        refused = recovery_clawback_result(
            clawback=clawback,
            returned_amount=None,
            returned_on=None,
            reference="",
            note="账户余额不足",
            by=county.clerk,
        )
        again = recovery_clawback_request(recovery=owed, bank=banks["psbc"], by=county.clerk)
    assert (refused.status, refused.result_note, balance(owed)) == (
        RecoveryClawback.Status.REFUSED,
        "账户余额不足",
        D("5600.00"),
    )
    assert again.requested_amount == D("5600.00")


def test_a_bank_return_of_the_whole_balance_settles_the_recovery(county, banks, owed):
    with time_machine.travel(T_REQUEST, tick=False):
        clawback = recovery_clawback_request(recovery=owed, bank=banks["psbc"], by=county.clerk)
    with time_machine.travel(T_RESULT, tick=False):
        recovery_clawback_result(
            clawback=clawback,
            returned_amount=D("5600.00"),
            returned_on=datetime.date(2026, 12, 8),
            reference="YC-2",
            by=county.clerk,
        )
    assert (balance(owed), status(owed)) == (D("0.00"), Recovery.Status.SETTLED)


def test_a_failed_return_for_november_is_not_owed_and_never_reissued(county, banks, deceased):
    set_profiles(banks)
    plan_month(county, OCT, 5)
    november = approved_plan(county)
    psbc = banks["psbc"]
    with time_machine.travel(T_FUND, tick=False):
        funding_record(
            plan=november,
            bank=psbc,
            amount=bank_total(november, psbc),
            reference_number="CZ2026-PSBC",
            transferred_on=datetime.date(2026, 11, 12),
            by=county.reviewer,
        )
    with time_machine.travel(T_EXPORT, tick=False):
        (bank_file,) = bank_files_export(plan=november, by=county.clerk)
    lines = list(PayoutLine.objects.filter(retiree=deceased).order_by("plan__month"))
    # The death is confirmed while the bank is still paying November.
    owed = after_death_recovery(deceased, lines, county.clerk, at=T_EXPORT)
    october_line, november_line = lines
    reference = payment_reference(plan_id=november.pk, line_id=november_line.pk)
    content = bank_answer(bank_file, failures={reference: ("F01", "账户已销户")})

    with time_machine.travel(T_RETURN, tick=False):
        return_file_import(bank_file=bank_file, content=content, by=county.clerk)

    november_line.refresh_from_db()
    assert november_line.payment_status == PayoutLine.PaymentStatus.FAILED
    resolution = FailedPaymentResolution.objects.get(line=november_line)
    assert resolution.kind == FailedPaymentResolution.Kind.NOT_DUE
    returned = RecoveryClawback.objects.get(recovery=owed)
    assert (returned.status, returned.returned_amount, returned.bank_id, returned.returned_reference) == (
        RecoveryClawback.Status.RETURNED,
        D("2800.00"),
        psbc.pk,
        "回盘失败" + reference,
    )
    assert (balance(owed), status(owed)) == (D("2800.00"), Recovery.Status.OPEN)
    assert not FailedPaymentResolution.objects.filter(line=october_line).exists()

    with pytest.raises(PlanError):  # never re-issued
        failed_line_reissue(line=november_line, by=county.clerk)
    assert after_death_failed_lines_settle(line_ids=[november_line.pk], by=county.clerk) == 0
    assert RecoveryClawback.objects.count() == 1
    assert balance(owed) == D("2800.00")


def test_a_failed_line_of_no_after_death_month_is_left_for_reissue(county, banks, deceased):
    november = approved_plan(county)
    line = PayoutLine.objects.get(plan=november, retiree=deceased)
    PayoutLine.objects.filter(pk=line.pk).update(payment_status=PayoutLine.PaymentStatus.FAILED)
    assert after_death_failed_lines_settle(line_ids=[line.pk], by=county.clerk) == 0
    assert not FailedPaymentResolution.objects.exists()


# Aging ------------------------------------------------------------------------------------------------------

TODAY = datetime.date(2027, 3, 1)


def _opened(
    retiree: Retiree, amount: str, by, days_ago: int, reason: str = Recovery.Reason.RATE_CHANGE
) -> Recovery:
    day = TODAY - datetime.timedelta(days=days_ago)
    # Late in the evening, local time: the day recorded is the bureau's day, not UTC's.
    with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 23, 30, tzinfo=SH), tick=False):
        item = recovery(retiree, amount, by)
    if reason != item.reason:
        Recovery.objects.filter(pk=item.pk).update(reason=reason)
    return item


def test_aging_bands_at_their_boundaries_by_township(county, django_assert_max_num_queries):
    a, b = county.retiree_a1, county.retiree_b1
    for days, amount in (
        (30, "1.00"),
        (31, "2.00"),
        (90, "4.00"),
        (91, "8.00"),
        (365, "16.00"),
        (366, "32.00"),
    ):
        _opened(a, amount, county.clerk, days)
    _opened(b, "100.00", county.clerk, 0, Recovery.Reason.AFTER_DEATH)
    settled = _opened(b, "50.00", county.clerk, 400)
    Recovery.objects.filter(pk=settled.pk).update(status=Recovery.Status.SETTLED)

    # Balances for every recovery in one grouped query, plus the townships' names.
    with django_assert_max_num_queries(2):
        report = recovery_aging(user=county.clerk, today=TODAY)
    assert [row.township for row in report.rows] == [county.township_a, county.township_b]
    township_a, township_b = report.rows
    assert [(cell.count, cell.balance) for cell in township_a.cells] == [
        (1, D("1.00")),
        (2, D("6.00")),
        (2, D("24.00")),
        (1, D("32.00")),
    ]
    assert [(cell.count, cell.balance) for cell in township_b.cells] == [
        (1, D("100.00")),
        (0, D("0.00")),
        (0, D("0.00")),
        (0, D("0.00")),
    ]
    assert (report.total.count, report.total.balance) == (7, D("163.00"))

    after_death = recovery_aging(user=county.clerk, today=TODAY, reason=Recovery.Reason.AFTER_DEATH)
    assert [row.township for row in after_death.rows] == [county.township_b]
    assert recovery_aging(user=county.officer_a, today=TODAY).total.count == 6  # township A's only

    sheet = io.BytesIO()
    assert recovery_aging_xlsx(user=county.clerk, target=sheet, today=TODAY) == 7
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    assert [(row[6], row[7]) for row in rows[1:]] == [
        (366, "365天以上"),
        (365, "91–365天"),
        (91, "91–365天"),
        (90, "31–90天"),
        (31, "31–90天"),
        (30, "0–30天"),
        (0, "0–30天"),
    ]
    assert a.id_number not in {row[2] for row in rows}


# The pages --------------------------------------------------------------------------------------------------


def _post(client, user, when, url: str, data: dict) -> HttpResponse:
    """A form sent at `when` by `user`, signed in afresh (days between steps would end an idle session)."""
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        return client.post(url, data)


def test_the_page_shows_the_history_and_the_follow_up_runs_through_it(county, banks, owed, client):
    detail = reverse("payout-recovery-detail", args=[owed.pk])
    clerk = county.clerk
    refund_url = reverse("payout-recovery-refund", args=[owed.pk])
    data = {"amount": "1000.00", "reference": "SJ-1", "paid_on": "2026-11-26", "payer": "周小梅"}
    assert _post(client, clerk, T_REFUND, refund_url, data).url == detail
    refund = owed.refunds.get()
    assert refund.payer == "周小梅"
    clawback_url = reverse("payout-recovery-clawback", args=[owed.pk])
    assert _post(client, clerk, T_REQUEST, clawback_url, {"bank": banks["psbc"].pk}).url == detail
    clawback = RecoveryClawback.objects.get()
    result_url = reverse("payout-recovery-clawback-result", args=[clawback.pk])
    result = {
        "outcome": "returned",
        "returned_amount": "9000.00",
        "returned_on": "2026-12-08",
        "reference": "YC",
    }
    refused = _post(client, clerk, T_RESULT, result_url, result)
    assert refused.status_code == 400
    assert "超过请求退回金额" in refused.content.decode()
    assert _post(client, clerk, T_RESULT, result_url, {**result, "returned_amount": "3000.00"}).url == detail
    referral_url = reverse("payout-recovery-referral", args=[owed.pk])
    referral = {"agency": "某县人民法院", "referred_on": "2026-12-20", "case_number": "", "note": ""}
    assert _post(client, clerk, T_REFER, referral_url, referral).url == detail

    client.force_login(clerk)
    response = client.get(detail)
    assert response.status_code == 200
    page = response.content.decode()
    for expected in (
        "2026-10",
        "2026-11",
        "周小梅",
        "SJ-1",
        "银行已退回",
        "¥3,000.00",
        "已移送",
        "某县人民法院",
        "¥1,600.00",
    ):
        assert expected in page, expected
    assert reverse("payout-recovery-refund-receipt", args=[refund.pk]) in page
    assert reverse("payout-recovery-clawback-letter", args=[clawback.pk]) in page

    receipt = client.get(reverse("payout-recovery-refund-receipt", args=[refund.pk]))
    assert (receipt.status_code, receipt["Content-Type"]) == (200, "application/pdf")
    letter = client.get(
        reverse("payout-recovery-clawback-letter", args=[clawback.pk]), {"purpose": "bank_reconciliation"}
    )
    assert letter.status_code == 200
    assert list(RecoveryDocumentPrint.objects.order_by("id").values_list("kind", "full_numbers", "by")) == [
        ("receipt", False, county.clerk.pk),
        ("clawback_letter", True, county.clerk.pk),
    ]
    exported = SensitiveExport.objects.get()
    assert (exported.export, exported.staff_id, exported.purpose) == (
        "pensions.recovery_clawback_letter",
        county.clerk.pk,
        "bank_reconciliation",
    )

    # The audit log shows the request, the result, the referral and both documents.
    client.force_login(county.auditor)
    log = client.get(reverse("audit-log")).content.decode()
    for expected in ("银行协助退回", "银行退回结果", "移送司法", "追回文书打印"):
        assert expected in log, expected


def test_aging_page_and_export_by_role(county, client):
    _opened(county.retiree_a1, "120.00", county.clerk, 45)
    client.force_login(county.reviewer)
    page = client.get(reverse("payout-recovery-aging"))
    assert page.status_code == 200
    assert "¥120.00" in page.content.decode()
    export = client.get(reverse("payout-recovery-aging-export"))
    assert export.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True)
    )
    assert len(rows) == 2 and county.retiree_a1.id_number not in rows[1]
    client.force_login(county.officer_a)
    assert client.get(reverse("payout-recovery-aging")).status_code == 403


# The API -----------------------------------------------------------------------------------------


def test_the_api_runs_the_follow_up_with_the_pages_rules(county, banks, owed):
    api = APIClient()
    api.force_authenticate(county.clerk)
    with time_machine.travel(T_REQUEST, tick=False):
        made = api.post(
            f"/api/pensions/recoveries/{owed.pk}/clawbacks/", {"bank": banks["psbc"].pk}, format="json"
        )
    assert (made.status_code, made.data["requested_amount"]) == (201, "5600.00")
    with time_machine.travel(T_RESULT, tick=False):
        too_much = api.post(
            f"/api/pensions/recoveries/clawbacks/{made.data['id']}/result/",
            {
                "outcome": "returned",
                "returned_amount": "5600.01",
                "returned_on": "2026-12-08",
                "reference": "Y",
            },
            format="json",
        )
        assert too_much.status_code == 400 and "returned_amount" in too_much.data
        done = api.post(
            f"/api/pensions/recoveries/clawbacks/{made.data['id']}/result/",
            {
                "outcome": "returned",
                "returned_amount": "3000.00",
                "returned_on": "2026-12-08",
                "reference": "Y",
            },
            format="json",
        )
    assert (done.status_code, done.data["status"], done.data["returned_amount"]) == (
        201,
        "returned",
        "3000.00",
    )
    with time_machine.travel(T_REFER, tick=False):
        referred = api.post(
            f"/api/pensions/recoveries/{owed.pk}/referral/",
            {"agency": "某县人民法院", "referred_on": "2026-12-20"},
            format="json",
        )
    assert referred.status_code == 201

    detail = api.get(f"/api/pensions/recoveries/{owed.pk}/")
    assert detail.status_code == 200
    body = detail.data
    assert (body["balance"], body["clawed_back"], body["referral"]["status"]) == (
        "2600.00",
        "3000.00",
        "referred",
    )
    assert [item["month"] for item in body["months"]] == ["2026-10", "2026-11"]
    assert owed.retiree.id_number not in str(body)

    aging = api.get("/api/pensions/recoveries/aging/", {"reason": "after_death"})
    assert aging.status_code == 200
    assert (aging.data["total"]["count"], aging.data["total"]["balance"]) == (1, "2600.00")

    letter = api.get(f"/api/pensions/recoveries/clawbacks/{made.data['id']}/letter.pdf")
    assert (letter.status_code, letter["Content-Type"]) == (200, "application/pdf")
    officer = APIClient()
    officer.force_authenticate(county.officer_a)
    assert officer.get(f"/api/pensions/recoveries/{owed.pk}/").status_code == 403
    reviewer = APIClient()
    reviewer.force_authenticate(county.reviewer)
    forbidden = reviewer.post(
        f"/api/pensions/recoveries/{owed.pk}/referral/",
        {"agency": "x", "referred_on": "2026-12-20"},
        format="json",
    )
    assert forbidden.status_code == 403
