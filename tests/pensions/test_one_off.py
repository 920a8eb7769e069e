"""One-off payment batches (一次性支付): a family's approved claims paid through the same funding check,
bank-file profiles and return-file matching as the monthly plan. Draft → submitted → approved by someone
else → funded bank by bank → exported → reconciled; the kind that asked for a payment hears its result; a
failed payment is paid again once, into the next open batch."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from pensions import one_off_kinds
from pensions.bankfiles import one_off_reference
from pensions.errors import PlanError
from pensions.models import (
    BankFile,
    BankFileDownload,
    Funding,
    OneOffBatch,
    OneOffBatchTransition,
    OneOffPayment,
    ReturnFile,
)
from pensions.one_off_kinds import OneOffKind, register_one_off_kind
from pensions.services import (
    BatchFigures,
    BatchSource,
    one_off_bank_files_export,
    one_off_batch_approve,
    one_off_batch_reject,
    one_off_batch_submit,
    one_off_funding_record,
    one_off_payment_add,
    one_off_payment_reissue,
    return_file_import,
)
from registry.approvals import waiting_items
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.months import PensionMonth
from registry.selectors.audit_log import AuditLogFilters, audit_log_rows
from tests.clients import signed_in
from tests.factories import make_id_number
from tests.pdfs import pdf_text

from .payout_flow import bank_answer, set_profiles

SH = ZoneInfo("Asia/Shanghai")
S = OneOffBatch.Status
P = OneOffPayment.PaymentStatus
NOV, DEC = PensionMonth(2026, 11), PensionMonth(2026, 12)
KIND = OneOffPayment.Kind.DEATH_CLAIM


def at(day: int, hour: int = 10, month: int = 11) -> time_machine.travel:
    return time_machine.travel(datetime.datetime(2026, month, day, hour, 0, tzinfo=SH), tick=False)


@pytest.fixture
def heard() -> Iterator[list[tuple[int, str]]]:
    """A kind registered for the test that records each result it hears; the real one is put back after."""
    results: list[tuple[int, str]] = []
    previous = one_off_kinds.one_off_kind(KIND)
    register_one_off_kind(
        OneOffKind(
            key=KIND,
            label="测试待遇",
            on_result=lambda payment: results.append((payment.source_id, payment.payment_status)),
            source_url=lambda payment: f"/claims/{payment.source_id}/",
        )
    )
    yield results
    if previous is not None:
        register_one_off_kind(previous)
    else:
        one_off_kinds._KINDS.pop(KIND, None)


@pytest.fixture
def people(county, enrol, banks):
    set_profiles(banks, {"psbc": "psbc", "ccb": "ccb"})
    return {
        "a": enrol(bank="psbc", name="张建国", community=county.community_a1),
        "b": enrol(bank="psbc", name="李秀兰", community=county.community_a1),
        "c": enrol(bank="ccb", name="单立新", community=county.community_b1),
    }


# (source id, person, payee, bank, account, amount)
CLAIMS = (
    (101, "a", "张小明", "psbc", "6221880000000001", "12345.60"),
    (102, "b", "李大山", "psbc", "6221880000000002", "9800.00"),
    (103, "c", "单春花", "ccb", "6217000000000003", "15000.05"),
)
TOTAL = Decimal("37145.65")


def add(county, people, banks, source_id, person, payee, bank, account, amount):
    return one_off_payment_add(
        kind=KIND,
        source_id=source_id,
        retiree=people[person],
        payee_name=payee,
        payee_id_number=make_id_number(datetime.date(1965, 1, source_id - 100)),
        bank=banks[bank],
        account_number=account,
        holder_name=payee,
        amount=Decimal(amount),
        by=county.reviewer,
    )


@pytest.fixture
def draft(county, people, banks, heard):
    with at(3):
        payments = [add(county, people, banks, *claim) for claim in CLAIMS]
    batch = OneOffBatch.objects.get()
    return batch, payments


def submitted_batch(county, draft):
    batch, payments = draft
    with at(4):
        one_off_batch_submit(batch=batch, by=county.clerk, seen=BatchFigures.of(batch))
    return batch, payments


def approved_batch(county, draft):
    batch, payments = submitted_batch(county, draft)
    with at(5):
        one_off_batch_approve(batch=batch, by=county.reviewer, seen=BatchFigures.of(batch))
    return batch, payments


def fund(county, batch, banks):
    with at(6):
        for key, amount in (("psbc", "22145.60"), ("ccb", "15000.05")):
            one_off_funding_record(
                batch=batch,
                bank=banks[key],
                amount=Decimal(amount),
                reference_number=f"CZ-{key}",
                transferred_on=datetime.date(2026, 11, 6),
                by=county.reviewer,
            )


def exported_batch(county, draft, banks):
    batch, payments = approved_batch(county, draft)
    fund(county, batch, banks)
    with at(7):
        files = one_off_bank_files_export(batch=batch, by=county.clerk)
    return batch, payments, {file.bank_id: file for file in files}


@pytest.mark.django_db
def test_payments_gather_in_the_month_batch_with_its_count_and_total(draft):
    batch, payments = draft
    assert (batch.month, batch.status, batch.payment_count, batch.total) == (NOV, S.DRAFT, 3, TOTAL)
    assert [payment.batch_id for payment in payments] == [batch.pk] * 3
    assert [payment.township.name for payment in payments] == [
        payments[0].retiree.community.parent.name,
        payments[1].retiree.community.parent.name,
        payments[2].retiree.community.parent.name,
    ]


@pytest.mark.django_db
def test_submit_freezes_the_payments_and_records_who_and_when(county, draft):
    batch, _payments = submitted_batch(county, draft)
    batch.refresh_from_db()
    assert (batch.status, batch.submitted_by, len(batch.lines_hash)) == (S.SUBMITTED, county.clerk, 64)
    transition = OneOffBatchTransition.objects.get(batch=batch)
    assert (transition.from_status, transition.to_status, transition.by) == (
        S.DRAFT,
        S.SUBMITTED,
        county.clerk,
    )
    assert transition.at == datetime.datetime(2026, 11, 4, 10, 0, tzinfo=SH)


FROZEN = "submitted_batch_is_frozen: 2026-11 一次性支付批次已提交"


def _refused(change) -> None:
    with pytest.raises(IntegrityError, match=FROZEN), transaction.atomic():
        change()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.FUNDED, S.EXPORTED, S.RECONCILED])
def test_the_database_refuses_any_change_to_a_submitted_batchs_payments_and_totals(
    county, draft, people, banks, status
):
    batch, payments = (submitted_batch if status == S.SUBMITTED else approved_batch)(county, draft)
    OneOffBatch.objects.filter(pk=batch.pk).update(status=status)
    rows = OneOffPayment.objects.filter(batch=batch).order_by("id")
    first = payments[0]
    before = list(rows.values())

    _refused(lambda: rows.filter(pk=first.pk).update(account_number="6221880000000009"))
    _refused(lambda: rows.filter(pk=first.pk).update(amount=Decimal("1.00")))
    _refused(lambda: rows.filter(pk=first.pk).update(payee_name="王五"))
    _refused(lambda: rows.filter(pk=first.pk).delete())
    added = OneOffPayment(
        **{f.attname: getattr(first, f.attname) for f in OneOffPayment._meta.concrete_fields}
    )
    added.pk, added.source_id = None, 999
    _refused(added.save)
    _refused(lambda: OneOffBatch.objects.filter(pk=batch.pk).update(total=Decimal("1.00")))
    _refused(lambda: OneOffBatch.objects.filter(pk=batch.pk).update(lines_hash="0" * 64))

    # Only the payment result changes later (return files).
    rows.filter(pk=first.pk).update(payment_status=OneOffPayment.PaymentStatus.PAID)
    unchanged = [{k: v for k, v in row.items() if k != "payment_status"} for row in rows.values()]
    assert unchanged == [{k: v for k, v in row.items() if k != "payment_status"} for row in before]


@pytest.mark.django_db
def test_a_batch_sent_back_to_draft_is_open_again(county, draft):
    batch, payments = submitted_batch(county, draft)
    with at(5):
        one_off_batch_reject(
            batch=batch, by=county.reviewer, reason="账号待核实", seen=BatchFigures.of(batch)
        )
    OneOffPayment.objects.filter(pk=payments[0].pk).update(account_number="6221880000000009")
    batch.refresh_from_db()
    assert (batch.status, batch.lines_hash) == (S.DRAFT, "")


@pytest.mark.django_db
def test_payments_changed_around_the_database_guard_stop_the_approval(county, draft, banks):
    batch, payments = submitted_batch(county, draft)
    # Only the tables' owner can do this; the submission's hash still shows the change.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check pending on the table
        cursor.execute("ALTER TABLE pensions_oneoffpayment DISABLE TRIGGER submitted_batch_payment_update")
        OneOffPayment.objects.filter(pk=payments[0].pk).update(account_number="6221880000000009")
        cursor.execute("ALTER TABLE pensions_oneoffpayment ENABLE TRIGGER submitted_batch_payment_update")

    with pytest.raises(PlanError, match="与提交时不一致"):
        one_off_batch_approve(batch=batch, by=county.reviewer, seen=BatchFigures.of(batch))
    batch.refresh_from_db()
    assert batch.status == S.SUBMITTED


@pytest.mark.django_db
def test_an_empty_batch_is_not_submitted(county):
    batch = OneOffBatch.objects.create(month=NOV.number)
    with pytest.raises(PlanError, match="没有支付明细"):
        one_off_batch_submit(batch=batch, by=county.clerk)
    batch.refresh_from_db()
    assert batch.status == S.DRAFT
    assert not OneOffBatchTransition.objects.exists()


@pytest.mark.django_db
def test_a_township_officer_or_a_reviewer_cannot_submit(county, draft):
    batch, _payments = draft
    with pytest.raises(PermissionDenied):
        one_off_batch_submit(batch=batch, by=county.officer_a)
    with pytest.raises(PermissionDenied):
        one_off_batch_submit(batch=batch, by=county.reviewer)
    batch.refresh_from_db()
    assert batch.status == S.DRAFT


@pytest.mark.django_db
def test_four_eyes_the_submitter_never_approves_or_rejects(county, draft):
    batch, _payments = draft
    with at(4):
        one_off_batch_submit(batch=batch, by=county.admin)
    with pytest.raises(PlanError, match="不能审批自己提交的一次性支付批次"):
        one_off_batch_approve(batch=batch, by=county.admin)
    with pytest.raises(PlanError, match="不能退回自己提交的一次性支付批次"):
        one_off_batch_reject(batch=batch, by=county.admin, reason="再核对")
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == (S.SUBMITTED, None)


@pytest.mark.django_db
def test_four_eyes_in_the_database(county, draft):
    batch, _payments = approved_batch(county, draft)
    with pytest.raises(IntegrityError, match="oneoffbatch_approver_is_not_submitter"), transaction.atomic():
        OneOffBatch.objects.filter(pk=batch.pk).update(approved_by=county.clerk)


@pytest.mark.django_db
def test_approval_checks_the_figures_the_approver_saw(county, draft):
    batch, _payments = submitted_batch(county, draft)
    stale = BatchFigures(payment_count=2, total=Decimal("21945.60"))
    with pytest.raises(PlanError, match="现为 3 笔、合计 ¥37,145.65"):
        one_off_batch_approve(batch=batch, by=county.reviewer, seen=stale)
    batch.refresh_from_db()
    assert batch.status == S.SUBMITTED
    with at(5):
        one_off_batch_approve(batch=batch, by=county.reviewer, seen=BatchFigures.of(batch))
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == (S.APPROVED, county.reviewer)


@pytest.mark.django_db
def test_a_rejected_batch_goes_back_to_draft_with_the_reason(county, draft):
    batch, _payments = submitted_batch(county, draft)
    with pytest.raises(PlanError, match="请填写退回原因"):
        one_off_batch_reject(batch=batch, by=county.reviewer, reason="  ")
    with at(5):
        one_off_batch_reject(
            batch=batch, by=county.reviewer, reason="收款人账号待核实", seen=BatchFigures.of(batch)
        )
    batch.refresh_from_db()
    assert (batch.status, batch.rejection_reason, batch.submitted_by, batch.lines_hash) == (
        S.DRAFT,
        "收款人账号待核实",
        None,
        "",
    )
    last = OneOffBatchTransition.objects.filter(batch=batch).order_by("id").last()
    assert (last.to_status, last.reason, last.by) == (S.DRAFT, "收款人账号待核实", county.reviewer)


@pytest.mark.django_db
def test_a_claim_approved_after_submission_goes_into_next_month_batch(county, people, banks, draft):
    batch, _payments = submitted_batch(county, draft)
    with at(8):
        late = one_off_payment_add(
            kind=KIND,
            source_id=104,
            retiree=people["a"],
            payee_name="张小红",
            payee_id_number=make_id_number(datetime.date(1966, 2, 3)),
            bank=banks["psbc"],
            account_number="6221880000000009",
            holder_name="张小红",
            amount=Decimal("500.00"),
            by=county.reviewer,
        )
    batch.refresh_from_db()
    assert (batch.payment_count, batch.total) == (3, TOTAL)
    assert (late.batch.month, late.batch.status, late.batch.payment_count) == (DEC, S.DRAFT, 1)


@pytest.mark.django_db
def test_funding_must_equal_the_bank_total_and_the_last_bank_funds_the_batch(county, draft, banks):
    batch, _payments = approved_batch(county, draft)
    with (
        at(6),
        pytest.raises(
            PlanError, match="拨付金额 ¥22,145.59 与 中国邮政储蓄银行 的实发合计 ¥22,145.60 不一致"
        ),
    ):
        one_off_funding_record(
            batch=batch,
            bank=banks["psbc"],
            amount=Decimal("22145.59"),
            reference_number="CZ-1",
            transferred_on=datetime.date(2026, 11, 6),
            by=county.reviewer,
        )
    assert not Funding.objects.exists()
    with at(6), pytest.raises(PlanError, match="没有需要拨付的金额"):
        one_off_funding_record(
            batch=batch,
            bank=banks["rcc"],
            amount=Decimal("1.00"),
            reference_number="CZ-1",
            transferred_on=datetime.date(2026, 11, 6),
            by=county.reviewer,
        )
    with pytest.raises(PermissionDenied):
        one_off_funding_record(
            batch=batch,
            bank=banks["psbc"],
            amount=Decimal("22145.60"),
            reference_number="CZ-1",
            transferred_on=datetime.date(2026, 11, 6),
            by=county.clerk,
        )
    fund(county, batch, banks)
    batch.refresh_from_db()
    assert batch.status == S.FUNDED
    assert sorted(Funding.objects.filter(one_off_batch=batch).values_list("amount", flat=True)) == [
        Decimal("15000.05"),
        Decimal("22145.60"),
    ]
    assert not Funding.objects.filter(plan__isnull=False).exists()


@pytest.mark.django_db
def test_a_batch_not_approved_is_neither_funded_nor_exported(county, draft, banks):
    batch, _payments = submitted_batch(county, draft)
    with pytest.raises(PlanError, match="只有已审批的批次才能登记拨付"):
        one_off_funding_record(
            batch=batch,
            bank=banks["psbc"],
            amount=Decimal("22145.60"),
            reference_number="CZ-1",
            transferred_on=datetime.date(2026, 11, 4),
            by=county.reviewer,
        )
    with pytest.raises(PlanError, match="拨付完成后才能生成银行文件"):
        one_off_bank_files_export(batch=batch, by=county.clerk)
    assert not BankFile.objects.exists()


@pytest.mark.django_db
def test_the_psbc_file_is_fixed_width_gbk_with_the_control_total(county, draft, banks):
    batch, payments, files = exported_batch(county, draft, banks)
    psbc = files[banks["psbc"].pk]
    content = bytes(BankFile.objects.get(pk=psbc.pk).content)
    assert psbc.name == "PSBC_360721_202611_002.txt"  # seq 2: never the plan's file name of the month
    assert (psbc.line_count, psbc.total, psbc.sha256) == (
        2,
        Decimal("22145.60"),
        hashlib.sha256(content).hexdigest(),
    )
    records = content.split(b"\r\n")
    assert records[-1] == b""
    assert (
        records[0]
        .decode("gbk")
        .startswith("H20261107" + "0000000002" + "000000000002214560" + f"B{batch.pk}")
    )
    for record, payment in zip(records[1:3], payments[:2], strict=True):
        assert len(record) == 103
        text = record.decode("gbk")
        assert text.startswith(payment.account_number)
        assert payment.holder_name.encode("gbk") in record
        assert str(int(payment.amount * 100)).zfill(15) in text
        assert text.rstrip().endswith(one_off_reference(batch_id=batch.pk, payment_id=payment.pk))
    assert one_off_reference(batch_id=batch.pk, payment_id=payments[0].pk) == f"B{batch.pk}P{payments[0].pk}"
    batch.refresh_from_db()
    assert batch.status == S.EXPORTED


@pytest.mark.django_db
def test_the_ccb_file_is_an_xlsx_with_text_numbers_and_the_total_row(county, draft, banks):
    batch, payments, files = exported_batch(county, draft, banks)
    ccb = files[banks["ccb"].pk]
    assert (ccb.name, ccb.line_count, ccb.total) == ("CCB_360721_202611_002.xlsx", 1, Decimal("15000.05"))
    sheet = openpyxl.load_workbook(io.BytesIO(bytes(BankFile.objects.get(pk=ccb.pk).content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    payment = payments[2]
    reference = one_off_reference(batch_id=batch.pk, payment_id=payment.pk)
    detail = next(row for row in rows if reference in row)
    assert payment.account_number in detail and payment.payee_id_number in detail
    assert Decimal(str(detail[3])) == Decimal("15000.05")
    assert rows[-1][:3] == ["合计", 1, 15000.05]


@pytest.mark.django_db
def test_exporting_again_returns_the_stored_files(county, draft, banks):
    batch, _payments, files = exported_batch(county, draft, banks)
    again = one_off_bank_files_export(batch=batch, by=county.clerk)
    assert sorted(file.pk for file in again) == sorted(file.pk for file in files.values())
    assert BankFile.objects.count() == 2


@pytest.mark.django_db
def test_the_return_files_mark_each_payment_and_the_kind_hears_each_result(county, draft, banks, heard):
    batch, payments, files = exported_batch(county, draft, banks)
    psbc, ccb = files[banks["psbc"].pk], files[banks["ccb"].pk]
    failed_ref = one_off_reference(batch_id=batch.pk, payment_id=payments[1].pk)
    with at(10):
        first = return_file_import(
            bank_file=psbc,
            content=bank_answer(psbc, failures={failed_ref: ("3001", "账户已销户")}),
            by=county.clerk,
        )
    assert (first.return_file.paid_count, first.return_file.failed_count, first.plan_reconciled) == (
        1,
        1,
        False,
    )
    assert (first.return_file.paid_total, first.return_file.failed_total) == (
        Decimal("12345.60"),
        Decimal("9800.00"),
    )
    assert heard == [(101, P.PAID), (102, P.FAILED)]
    statuses = dict(OneOffPayment.objects.values_list("source_id", "payment_status"))
    assert statuses == {101: P.PAID, 102: P.FAILED, 103: P.PENDING}
    assert OneOffPayment.objects.get(source_id=102).bank_reason == "3001 账户已销户"
    # Amounts are never changed by a return file.
    assert sorted(OneOffPayment.objects.values_list("amount", flat=True)) == sorted(
        p.amount for p in payments
    )

    with at(10):
        again = return_file_import(
            bank_file=psbc,
            content=bank_answer(psbc, failures={failed_ref: ("3001", "账户已销户")}),
            by=county.clerk,
        )
    assert again.already_imported and heard == [(101, P.PAID), (102, P.FAILED)]

    with at(11):
        last = return_file_import(bank_file=ccb, content=bank_answer(ccb), by=county.clerk)
    assert last.plan_reconciled
    assert heard[-1] == (103, P.PAID)
    batch.refresh_from_db()
    assert batch.status == S.RECONCILED
    assert list(
        OneOffBatchTransition.objects.filter(batch=batch).order_by("id").values_list("to_status", "by")
    ) == [
        (S.SUBMITTED, county.clerk.pk),
        (S.APPROVED, county.reviewer.pk),
        (S.FUNDED, county.reviewer.pk),
        (S.EXPORTED, county.clerk.pk),
        (S.RECONCILED, county.clerk.pk),
    ]


@pytest.mark.django_db
def test_a_return_file_that_changes_an_amount_is_refused_whole(county, draft, banks, heard):
    batch, _payments, files = exported_batch(county, draft, banks)
    psbc = files[banks["psbc"].pk]
    sent = OneOffPayment.objects.filter(batch=batch, bank=banks["psbc"]).order_by("id")
    lines = BatchSource(batch).payment_lines(bank_id=banks["psbc"].pk)[banks["psbc"].pk]
    forged = [dataclasses.replace(lines[0], amount=Decimal("99999.00")), *lines[1:]]
    with pytest.raises(PlanError):
        return_file_import(bank_file=psbc, content=bank_answer(psbc, lines=forged), by=county.clerk)
    assert set(sent.values_list("payment_status", flat=True)) == {P.PENDING}
    assert not ReturnFile.objects.exists() and heard == []


@pytest.mark.django_db
def test_a_failed_payment_is_reissued_once_into_the_next_open_batch(county, draft, banks, heard):
    batch, payments, files = exported_batch(county, draft, banks)
    psbc, ccb = files[banks["psbc"].pk], files[banks["ccb"].pk]
    failed_ref = one_off_reference(batch_id=batch.pk, payment_id=payments[1].pk)
    with at(10):
        return_file_import(
            bank_file=psbc,
            content=bank_answer(psbc, failures={failed_ref: ("3001", "账户已销户")}),
            by=county.clerk,
        )
        return_file_import(bank_file=ccb, content=bank_answer(ccb), by=county.clerk)
    paid, failed = payments[0], payments[1]

    with pytest.raises(PlanError, match="没有失败"):
        one_off_payment_reissue(
            payment=paid,
            bank=banks["psbc"],
            account_number="6221880000000099",
            holder_name="张小明",
            by=county.clerk,
        )
    with pytest.raises(PlanError, match="账号只能是数字"):
        one_off_payment_reissue(
            payment=failed, bank=banks["ccb"], account_number="62-17", holder_name="李大山", by=county.clerk
        )
    with pytest.raises(PermissionDenied):
        one_off_payment_reissue(
            payment=failed,
            bank=banks["ccb"],
            account_number="6217000000000777",
            holder_name="李大山",
            by=county.reviewer,
        )
    with at(12):
        reissue = one_off_payment_reissue(
            payment=failed,
            bank=banks["ccb"],
            account_number="6217000000000777",
            holder_name="李大山",
            by=county.clerk,
        )
    # This month's batch is reconciled: the re-issue goes into December's draft.
    assert (reissue.batch.month, reissue.batch.status, reissue.reissue_of_id) == (DEC, S.DRAFT, failed.pk)
    assert (reissue.amount, reissue.kind, reissue.source_id, reissue.bank, reissue.account_number) == (
        Decimal("9800.00"),
        KIND,
        102,
        banks["ccb"],
        "6217000000000777",
    )
    assert (reissue.batch.payment_count, reissue.batch.total) == (1, Decimal("9800.00"))

    with pytest.raises(PlanError, match="已重发过"):
        one_off_payment_reissue(
            payment=failed,
            bank=banks["ccb"],
            account_number="6217000000000888",
            holder_name="李大山",
            by=county.clerk,
        )
    # The database keeps a payment to one re-issue whatever the service does.
    with pytest.raises(IntegrityError), transaction.atomic():
        OneOffPayment.objects.create(
            **{
                field: getattr(reissue, field)
                for field in (
                    "batch",
                    "kind",
                    "source_id",
                    "retiree",
                    "township",
                    "payee_name",
                    "payee_id_number",
                    "bank",
                    "account_number",
                    "holder_name",
                    "amount",
                    "created_by",
                    "created_at",
                )
            },  # fmt: skip
            reissue_of=failed,
        )
    assert OneOffPayment.objects.filter(reissue_of=failed).count() == 1


@pytest.mark.django_db
def test_batch_bank_files_belong_to_the_batch_alone(county, draft, banks):
    batch, _payments, files = exported_batch(county, draft, banks)
    assert {(file.plan_id, file.one_off_batch_id) for file in files.values()} == {(None, batch.pk)}
    stored = BankFile.objects.get(pk=next(iter(files.values())).pk)
    # A file of neither a plan nor a batch is refused by the database (bankfile_of_plan_or_batch).
    with pytest.raises(IntegrityError, match="bankfile_of_plan_or_batch"), transaction.atomic():
        BankFile.objects.create(
            bank=stored.bank,
            name="x.txt",
            content_type="text/plain",
            content=b"x",
            sha256=stored.sha256,
            line_count=1,
            total=Decimal("1.00"),
            profile_code="psbc",
            profile={},
            created_by=county.clerk,
            created_at=stored.created_at,
        )


# Pages and API ----------------------------------------------------------------------------------------------


def fund_form(bank, amount: str, on: str) -> dict[str, object]:
    return {"bank": bank.pk, "amount": amount, "reference_number": "CZ", "transferred_on": on}


@pytest.mark.django_db
def test_the_batch_page_masks_numbers_links_the_source_and_adds_up(county, draft, banks):
    batch, payments = draft
    html = signed_in(county.clerk).get(f"/pensions/one-off/{batch.pk}/").content.decode()
    for payment in payments:
        assert payment.payee_id_number not in html and payment.account_number not in html
        assert mask_resident_id(payment.payee_id_number) in html
        assert mask_account_number(payment.account_number) in html
        assert f'href="/claims/{payment.source_id}/"' in html
    assert "测试待遇" in html
    assert "¥37,145.65" in html and "¥22,145.60" in html and "¥15,000.05" in html
    assert 'id="totals-check"' in html and "与明细核对一致" in html
    # The confirmation carries the figures the clerk sees.
    assert 'name="payment_count" value="3"' in html and 'name="total" value="37145.65"' in html
    listing = signed_in(county.auditor).get("/pensions/one-off/").content.decode()
    assert f'href="/pensions/one-off/{batch.pk}/"' in listing and "¥37,145.65" in listing
    assert signed_in(county.officer_a).get("/pensions/one-off/").status_code == 403


def pdf_text_of(content: bytes, folder) -> str:
    path = folder / "request.pdf"
    path.write_bytes(content)
    return pdf_text(path)


@pytest.mark.django_db
def test_the_pages_submit_approve_fund_export_and_download(county, draft, banks, tmp_path):
    batch, _payments = draft
    clerk, reviewer = signed_in(county.clerk), signed_in(county.reviewer)
    url = f"/pensions/one-off/{batch.pk}/"
    stale = clerk.post(url + "submit/", {"payment_count": "2", "total": "100.00"})
    assert stale.status_code == 400 and "已有变化" in stale.content.decode()
    assert clerk.post(url + "submit/", {"payment_count": "3", "total": "37145.65"}).status_code == 302
    own = clerk.get(url).content.decode()
    assert 'id="approve-open"' not in own
    assert reviewer.post(url + "approve/", {"payment_count": "3", "total": "37145.65"}).status_code == 302
    wrong = reviewer.post(
        url + "fundings/",
        {
            "bank": banks["psbc"].pk,
            "amount": "1.00",
            "reference_number": "CZ",
            "transferred_on": "2026-11-01",
        },
    )
    assert wrong.status_code == 400 and "不一致" in wrong.content.decode()
    assert not Funding.objects.exists()
    with at(6):
        for key, amount in (("psbc", "22145.60"), ("ccb", "15000.05")):
            response = reviewer.post(
                url + "fundings/",
                {
                    "bank": banks[key].pk,
                    "amount": amount,
                    "reference_number": "CZ",
                    "transferred_on": "2026-11-06",
                },
            )
            assert response.status_code == 302
    pdf = reviewer.get(url + "funding-request.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text_of(pdf.content, tmp_path)
    assert "一次性待遇拨付申请" in text and "¥22,145.60" in text and "¥37,145.65" in text and "CZ" in text
    with at(7):
        assert clerk.post(url + "bank-files/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == S.EXPORTED
    bank_file = BankFile.objects.get(one_off_batch=batch, bank=banks["psbc"])
    download = clerk.get(f"/pensions/one-off/bank-files/{bank_file.pk}/download/")
    assert download.status_code == 200 and download["X-Content-SHA256"] == bank_file.sha256
    assert BankFileDownload.objects.get(bank_file=bank_file).by == county.clerk
    assert (
        signed_in(county.auditor).get(f"/pensions/one-off/bank-files/{bank_file.pk}/download/").status_code
        == 403
    )
    # A plan's download page does not serve a batch's file.
    assert clerk.get(f"/pensions/bank-files/{bank_file.pk}/download/").status_code == 404
    rows = list(audit_log_rows(filters=AuditLogFilters(), limit=100))
    kinds = [(row.kind, row.action) for row in rows]
    assert ("bank_file_download", "下载银行文件(完整账号)") in kinds
    assert [row.url for row in rows if row.kind == "one_off_batch_transition"][0] == url
    assert sum(1 for row in rows if row.kind == "one_off_batch_transition") == 4


@pytest.mark.django_db
def test_the_pages_import_the_return_and_reissue_the_failed_payment(county, draft, banks, heard):
    batch, payments, files = exported_batch(county, draft, banks)
    clerk = signed_in(county.clerk)
    psbc = files[banks["psbc"].pk]
    failed_ref = one_off_reference(batch_id=batch.pk, payment_id=payments[1].pk)
    answer = bank_answer(psbc, failures={failed_ref: ("3001", "账户已销户")})
    with at(10):
        response = clerk.post(
            f"/pensions/one-off/bank-files/{psbc.pk}/return-file/",
            {"file": SimpleUploadedFile("answer.txt", answer, "text/plain")},
        )
    assert response.status_code == 302
    assert heard == [(101, P.PAID), (102, P.FAILED)]
    html = clerk.get(f"/pensions/one-off/{batch.pk}/").content.decode()
    assert f'id="reissue-modal-{payments[1].pk}"' in html and "3001 账户已销户" in html
    bad = clerk.post(
        f"/pensions/one-off/payments/{payments[1].pk}/reissue/",
        {"bank": banks["psbc"].pk, "account_number": "abc", "holder_name": "李大山"},
    )
    assert bad.status_code == 400 and not OneOffPayment.objects.filter(reissue_of=payments[1]).exists()
    with at(12):
        ok = clerk.post(
            f"/pensions/one-off/payments/{payments[1].pk}/reissue/",
            {"bank": banks["psbc"].pk, "account_number": "6221880000000777", "holder_name": "李大山"},
        )
    assert ok.status_code == 302
    reissue = OneOffPayment.objects.get(reissue_of=payments[1])
    # November's batch is exported (the CCB answer is still out): the re-issue waits in December's draft.
    assert (reissue.batch.month, reissue.amount) == (DEC, Decimal("9800.00"))
    again = clerk.post(
        f"/pensions/one-off/payments/{payments[1].pk}/reissue/",
        {"bank": banks["psbc"].pk, "account_number": "6221880000000888", "holder_name": "李大山"},
    )
    assert again.status_code == 400 and "已重发过" in again.content.decode()


@pytest.mark.django_db
def test_the_api_moves_the_batch_and_reissues(county, draft, banks, heard):
    batch, payments = draft
    clerk, reviewer = signed_in(county.clerk), signed_in(county.reviewer)
    base = f"/api/pensions/one-off/{batch.pk}/"
    detail = clerk.get(base).json()
    assert (detail["payment_count"], detail["total"]) == (3, "37145.65")
    assert sorted(row["total"] for row in detail["bank_totals"]) == ["15000.05", "22145.60"]
    assert sum(Decimal(row["total"]) for row in detail["township_totals"]) == TOTAL
    assert all(payments[0].payee_id_number != row["payee_id_number_masked"] for row in detail["payments"])
    figures = {"payment_count": 3, "total": "37145.65"}
    assert clerk.post(base + "submit/", figures, content_type="application/json").status_code == 200
    refused = clerk.post(base + "approve/", figures, content_type="application/json")
    assert refused.status_code == 403
    admin = signed_in(county.admin)
    assert (
        admin.post(
            base + "approve/", {"payment_count": 1, "total": "1.00"}, content_type="application/json"
        ).status_code
        == 400
    )
    approved = reviewer.post(base + "approve/", figures, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["status"] == S.APPROVED
    with at(6):
        for key, amount in (("psbc", "22145.60"), ("ccb", "15000.05")):
            body = {
                "bank": banks[key].pk,
                "amount": amount,
                "reference_number": "CZ",
                "transferred_on": "2026-11-06",
            }
            assert reviewer.post(base + "fundings/", body, content_type="application/json").status_code == 201
    with at(7):
        created = clerk.post(base + "bank-files/")
        assert created.status_code == 201 and len(created.json()) == 2
        assert clerk.post(base + "bank-files/").status_code == 200
    psbc = BankFile.objects.get(one_off_batch=batch, bank=banks["psbc"])
    # The payout endpoints download and answer a batch's file as a plan's.
    assert clerk.get(f"/api/pensions/bank-files/{psbc.pk}/download/").status_code == 200
    failed_ref = one_off_reference(batch_id=batch.pk, payment_id=payments[0].pk)
    with at(10):
        imported = clerk.post(
            f"/api/pensions/bank-files/{psbc.pk}/return-files/",
            {
                "file": SimpleUploadedFile(
                    "a.txt", bank_answer(psbc, failures={failed_ref: ("3002", "户名不符")})
                )
            },
        )
    assert imported.status_code == 201
    assert heard == [(101, P.FAILED), (102, P.PAID)]
    body = {"bank": banks["psbc"].pk, "account_number": "6221880000000555", "holder_name": "张小明"}
    with at(12):
        reissued = clerk.post(
            f"/api/pensions/one-off/payments/{payments[0].pk}/reissue/", body, content_type="application/json"
        )
    assert reissued.status_code == 201 and reissued.json()["reissue_of_id"] == payments[0].pk
    assert (
        clerk.post(
            f"/api/pensions/one-off/payments/{payments[0].pk}/reissue/", body, content_type="application/json"
        ).status_code
        == 400
    )


@pytest.mark.django_db
def test_the_inbox_lists_a_submitted_batch_for_a_reviewer_but_not_for_its_submitter(county, draft):
    batch, _payments = draft
    with at(4):
        one_off_batch_submit(batch=batch, by=county.admin)
    reviewer_items = [item for item in waiting_items(county.reviewer) if item.kind == "one_off_batch"]
    assert [item.url for item in reviewer_items] == [f"/pensions/one-off/{batch.pk}/"]
    assert "3 笔" in reviewer_items[0].title and "¥37,145.65" in reviewer_items[0].title
    assert not [item for item in waiting_items(county.admin) if item.kind == "one_off_batch"]
    assert not [item for item in waiting_items(county.clerk) if item.kind == "one_off_batch"]
