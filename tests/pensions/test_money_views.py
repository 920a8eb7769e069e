"""The money panels of the plan page by role: a reviewer funds each bank (a fen off is refused, nothing
written), a clerk exports the bank files (twice: the same files), downloads are recorded, return files mark
the lines (the same file again: already imported), failed lines are re-issued or paid by hand."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from urllib.parse import quote

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pensions.models import (
    BankFile,
    BankFileDownload,
    FailedPaymentResolution,
    Funding,
    PayoutLine,
    PayoutPlan,
    PlanJob,
    ReturnFile,
)
from pensions.services import payment_lines
from pensions.services.plan_jobs import plan_job_run
from registry.models import ArrearsItem
from tests.clients import signed_in

from .payout_flow import (
    BANK_TOTALS,
    FUNDED_ON,
    SH,
    T_FUND,
    T_RETURN,
    approved_plan,
    bank_answer,
    enrol_month,
    exported_plan,
    fund_all,
    set_profiles,
)

pytestmark = pytest.mark.django_db
S = PayoutPlan.Status


def page(plan: PayoutPlan) -> str:
    return f"/pensions/plans/{plan.pk}/"


@pytest.fixture
def approved(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    return approved_plan(county)


@pytest.fixture
def exported(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    return exported_plan(county, banks)


def fund_form(bank, amount, reference="CZ2026-001", on="2026-11-12") -> dict[str, str]:
    return {"bank": str(bank.pk), "amount": str(amount), "reference_number": reference, "transferred_on": on}


# Funding ----------------------------------------------------------------------------------------------------


def test_the_approved_plan_shows_each_bank_to_fund_with_the_form_for_a_reviewer(county, approved, banks):
    with time_machine.travel(T_FUND, tick=False):
        html = signed_in(county.reviewer).get(page(approved)).content.decode()
    assert 'id="funding"' in html
    assert "¥7,660.65" in html and "¥2,800.00" in html and "¥5,784.00" in html
    assert "¥16,244.65" in html  # the three banks together
    assert f'id="funding-modal-{banks["psbc"].pk}"' in html
    assert 'value="7660.65"' in html  # pre-filled, editable
    assert "打印拨付申请" in html


def test_a_clerk_sees_the_funding_panel_without_the_form(county, approved, banks):
    html = signed_in(county.clerk).get(page(approved)).content.decode()
    assert 'id="funding"' in html
    assert "funding-modal-" not in html


def test_a_reviewer_funds_each_bank_and_the_last_one_moves_the_plan_to_funded(county, approved, banks):
    client = signed_in(county.reviewer)
    with time_machine.travel(T_FUND, tick=False):
        for key, bank in banks.items():
            response = client.post(
                f"/pensions/plans/{approved.pk}/fundings/", fund_form(bank, BANK_TOTALS[key], f"CZ-{key}")
            )
            assert response.status_code == 302
            assert response["Location"] == f"{page(approved)}#funding"
        html = client.get(page(approved)).content.decode()
    approved.refresh_from_db()
    assert approved.status == S.FUNDED
    funding = Funding.objects.get(plan=approved, bank=banks["psbc"])
    assert (funding.amount, funding.reference_number, funding.transferred_on) == (
        Decimal("7660.65"),
        "CZ-psbc",
        FUNDED_ON,
    )
    assert funding.recorded_by == county.reviewer
    assert funding.recorded_at == T_FUND
    assert "已登记 中国邮政储蓄银行 拨付 ¥7,660.65(凭证号 CZ-psbc)。" in html
    assert (
        f"凭证号 CZ-psbc · 拨付日期 2026-11-12 · {county.reviewer.display_name} 于 2026-11-12 10:30 登记"
        in html
    )
    assert "生成银行文件" in html  # the clerk's step, but a reviewer sees no button
    assert 'id="export-open"' not in html


def test_a_fen_off_funding_is_refused_on_the_page_and_nothing_is_written(county, approved, banks):
    with time_machine.travel(T_FUND, tick=False):
        response = signed_in(county.reviewer).post(
            f"/pensions/plans/{approved.pk}/fundings/", fund_form(banks["psbc"], "7660.64")
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert "拨付金额 ¥7,660.64 与 中国邮政储蓄银行 的实发合计 ¥7,660.65 不一致。" in html
    assert 'value="7660.64"' in html  # the form comes back as typed
    assert Funding.objects.count() == 0
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


def test_funding_form_errors_and_a_future_date_are_refused(county, approved, banks):
    client = signed_in(county.reviewer)
    with time_machine.travel(T_FUND, tick=False):
        blank = client.post(
            f"/pensions/plans/{approved.pk}/fundings/", fund_form(banks["psbc"], "7660.65", "")
        )
        future = client.post(
            f"/pensions/plans/{approved.pk}/fundings/", fund_form(banks["psbc"], "7660.65", on="2026-11-13")
        )
    assert blank.status_code == 400
    assert "拨付凭证号" in blank.content.decode()
    assert future.status_code == 400
    assert "拨付日期不能晚于今天。" in future.content.decode()
    assert Funding.objects.count() == 0


@pytest.mark.parametrize("persona", ["clerk", "auditor"])
def test_who_cannot_fund_gets_403_and_nothing_is_written(county, approved, banks, persona):
    with time_machine.travel(T_FUND, tick=False):
        response = signed_in(getattr(county, persona)).post(
            f"/pensions/plans/{approved.pk}/fundings/", fund_form(banks["psbc"], "7660.65")
        )
    assert response.status_code == 403
    assert Funding.objects.count() == 0


def test_a_township_officer_gets_403_on_every_money_page(county, exported):
    plan, files = exported
    line = PayoutLine.objects.filter(plan=plan).first()
    client = signed_in(county.officer_a)
    assert client.get(page(plan)).status_code == 403
    assert client.get(f"/pensions/plans/{plan.pk}/funding-request.pdf").status_code == 403
    assert client.get(f"/pensions/bank-files/{files['psbc'].pk}/download/").status_code == 403
    assert client.post(f"/pensions/plans/{plan.pk}/bank-files/").status_code == 403
    assert client.post(f"/pensions/lines/{line.pk}/reissue/").status_code == 403
    assert BankFileDownload.objects.count() == 0


def test_the_funding_request_pdf_opens_inline(county, approved):
    response = signed_in(county.auditor).get(f"/pensions/plans/{approved.pk}/funding-request.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF")


# Export and download ----------------------------------------------------------------------------------------


@pytest.fixture
def funded(approved, county, banks):
    fund_all(approved, banks, county.reviewer)
    return approved


def test_a_clerk_exports_from_the_page_and_twice_gives_the_same_files(county, funded, banks):
    client = signed_in(county.clerk)
    html = client.get(page(funded)).content.decode()
    assert 'id="export-open"' in html and 'id="export-modal"' in html
    first = client.post(f"/pensions/plans/{funded.pk}/bank-files/")
    # The worker writes the files: until then the plan page shows the busy state, the button disabled.
    job = PlanJob.objects.get()
    assert (first.status_code, first["Location"]) == (302, f"/pensions/plan-jobs/{job.pk}/")
    assert BankFile.objects.count() == 0
    busy = client.get(page(funded)).content.decode()
    assert 'id="export-busy"' in busy and "正在生成银行文件…" in busy and 'id="export-modal"' not in busy
    assert "正在生成银行文件…" in client.get(first["Location"]).content.decode()
    # A second click while it runs is refused, never a second export.
    while_running = client.post(f"/pensions/plans/{funded.pk}/bank-files/")
    assert while_running.status_code == 400
    assert "正在生成该月银行文件" in while_running.content.decode()

    plan_job_run(job_id=job.pk)

    files = list(BankFile.objects.order_by("id").values_list("id", "sha256"))
    assert len(files) == 3
    done = client.get(first["Location"], follow=True)
    assert done.redirect_chain == [(f"{page(funded)}#bank-files", 302)]
    assert "银行文件已生成:3 个,合计 ¥16,244.65。" in done.content.decode()
    # The same job delivered again, and a new click on the exported plan: the files stay the same.
    assert plan_job_run(job_id=job.pk) is None
    again = client.post(f"/pensions/plans/{funded.pk}/bank-files/")
    assert again.status_code == 400
    assert "的银行文件已经生成,不会再次生成;请在计划页面下载。" in again.content.decode()
    assert list(BankFile.objects.order_by("id").values_list("id", "sha256")) == files
    assert PlanJob.objects.count() == 1
    funded.refresh_from_db()
    assert funded.status == S.EXPORTED
    html = client.get(page(funded)).content.decode()
    assert 'id="bank-files-table"' in html
    for file in BankFile.objects.all():
        assert file.name in html
        assert file.sha256[:12] in html


def test_a_reviewer_cannot_export(county, funded):
    response = signed_in(county.reviewer).post(f"/pensions/plans/{funded.pk}/bank-files/")
    assert response.status_code == 403
    assert BankFile.objects.count() == 0


def test_unencodable_names_are_listed_for_manual_handling(county, enrol, banks):
    enrol_month(county, enrol, names={0: "王䶮"})
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)
    client = signed_in(county.clerk)
    response = client.post(f"/pensions/plans/{plan.pk}/bank-files/")
    job = PlanJob.objects.get()
    assert plan_job_run(job_id=job.pk).status == PlanJob.Status.FAILED
    html = client.get(response["Location"]).content.decode()
    assert 'id="unencodable-lines"' in html
    assert "王䶮" in html and "U+4DAE" in html and "中国邮政储蓄银行" in html
    assert BankFile.objects.count() == 0
    plan.refresh_from_db()
    assert plan.status == S.FUNDED


@pytest.mark.parametrize("persona", ["clerk", "reviewer"])
def test_a_download_is_an_attachment_and_is_recorded(county, exported, persona):
    plan, files = exported
    file = files["psbc"]
    client = signed_in(getattr(county, persona))
    when = datetime.datetime(2026, 11, 13, 11, 0, tzinfo=SH)
    with time_machine.travel(when, tick=False):
        response = client.get(f"/pensions/bank-files/{file.pk}/download/")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == file.sha256
    assert response["Content-Disposition"] in (
        f'attachment; filename="{file.name}"',
        f"attachment; filename*=utf-8''{quote(file.name)}",
    )
    download = BankFileDownload.objects.get()
    assert (download.bank_file_id, download.by, download.at) == (file.pk, getattr(county, persona), when)
    html = client.get(page(plan)).content.decode()
    assert f'data-file="{file.pk}"' in html


def test_an_auditor_reads_the_files_but_cannot_download(county, exported):
    plan, files = exported
    client = signed_in(county.auditor)
    html = client.get(page(plan)).content.decode()
    assert files["psbc"].name in html
    assert "download-link" not in html
    assert client.get(f"/pensions/bank-files/{files['psbc'].pk}/download/").status_code == 403
    assert BankFileDownload.objects.count() == 0


# Return files and failed lines ------------------------------------------------------------------------------


def upload(client: Client, bank_file: BankFile, content: bytes, name: str = "回盘.txt"):
    return client.post(
        f"/pensions/bank-files/{bank_file.pk}/return-file/", {"file": SimpleUploadedFile(name, content)}
    )


def failing_first_psbc(plan) -> tuple[PayoutLine, str]:
    sent = payment_lines(plan=plan)
    line = PayoutLine.objects.get(plan=plan, name="张建国")
    reference = next(p.reference for lines in sent.values() for p in lines if p.name == "张建国")
    return line, reference


def test_a_return_upload_marks_the_lines_and_the_same_file_again_is_already_imported(county, exported):
    plan, files = exported
    line, reference = failing_first_psbc(plan)
    content = bank_answer(files["psbc"], failures={reference: ("E01", "账户已销户")})
    client = signed_in(county.clerk)
    with time_machine.travel(T_RETURN, tick=False):
        first = upload(client, files["psbc"], content)
        assert first.status_code == 302
        html = client.get(page(plan)).content.decode()
        assert "中国邮政储蓄银行 回盘已导入:成功 2 笔,失败 1 笔。" in html
        assert "成功 2 笔,失败 1 笔" in html
        again = upload(client, files["psbc"], content)
        assert again.status_code == 302
        html = client.get(page(plan)).content.decode()
    assert "的这份回盘文件已导入过(2026-11-20 16:00),没有变化。" in html
    assert ReturnFile.objects.count() == 1
    line.refresh_from_db()
    assert line.payment_status == PayoutLine.PaymentStatus.FAILED
    assert "账户已销户" in line.bank_reason
    assert (
        list(
            PayoutLine.objects.filter(plan=plan, bank=files["psbc"].bank, is_withheld=False)
            .exclude(pk=line.pk)
            .values_list("payment_status", flat=True)
        )
        == [PayoutLine.PaymentStatus.PAID] * 2
    )
    # the failed list: name, masked ID, amount, reason, actions
    assert 'id="failed-lines-table"' in html
    assert "¥2,650.00" in html and "账户已销户" in html
    assert line.id_number not in html
    assert "下月补发" in html and "已手工支付" in html


def test_a_wrong_return_file_is_refused_and_nothing_changes(county, exported):
    plan, files = exported
    client = signed_in(county.clerk)
    with time_machine.travel(T_RETURN, tick=False):
        response = upload(client, files["psbc"], b"not a return file")
    assert response.status_code == 400
    assert ReturnFile.objects.count() == 0
    assert set(PayoutLine.objects.filter(plan=plan).values_list("payment_status", flat=True)) == {
        PayoutLine.PaymentStatus.PENDING
    }


def test_a_reviewer_cannot_upload_a_return_file(county, exported):
    plan, files = exported
    response = upload(signed_in(county.reviewer), files["psbc"], bank_answer(files["psbc"]))
    assert response.status_code == 403
    assert ReturnFile.objects.count() == 0


@pytest.fixture
def failed(county, exported):
    plan, files = exported
    line, reference = failing_first_psbc(plan)
    content = bank_answer(files["psbc"], failures={reference: ("E01", "账户已销户")})
    with time_machine.travel(T_RETURN, tick=False):
        upload(signed_in(county.clerk), files["psbc"], content)
    line.refresh_from_db()
    return plan, line


def test_reissue_from_the_page(county, failed):
    plan, line = failed
    client = signed_in(county.clerk)
    when = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=SH)
    with time_machine.travel(when, tick=False):
        response = client.post(f"/pensions/lines/{line.pk}/reissue/")
        assert response.status_code == 302
        assert response["Location"] == f"{page(plan)}#failed-lines"
        html = client.get(page(plan)).content.decode()
        again = client.post(f"/pensions/lines/{line.pk}/reissue/")
    resolution = FailedPaymentResolution.objects.get()
    assert (resolution.line_id, resolution.kind, resolution.by, resolution.at) == (
        line.pk,
        FailedPaymentResolution.Kind.REISSUED,
        county.clerk,
        when,
    )
    assert resolution.arrears_item.amount == Decimal("2650.00")
    assert "张建国 的 ¥2,650.00 已转入下月补发。" in html
    assert "转入下月补发" in html and f"{county.clerk.display_name} 于 2026-11-21 09:00 办理" in html
    assert again.status_code == 400
    assert "已处理过" in again.content.decode()
    assert ArrearsItem.objects.filter(reason=ArrearsItem.Reason.FAILED_PAYMENT).count() == 1


def test_paid_by_hand_from_the_page(county, failed):
    plan, line = failed
    client = signed_in(county.clerk)
    when = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=SH)
    with time_machine.travel(when, tick=False):
        blank = client.post(
            f"/pensions/lines/{line.pk}/paid-by-hand/", {"reference": "", "paid_on": "2026-11-21"}
        )
        assert blank.status_code == 400
        assert FailedPaymentResolution.objects.count() == 0
        response = client.post(
            f"/pensions/lines/{line.pk}/paid-by-hand/", {"reference": "XJ-0001", "paid_on": "2026-11-21"}
        )
        assert response.status_code == 302
        html = client.get(page(plan)).content.decode()
        reissue = client.post(f"/pensions/lines/{line.pk}/reissue/")
    resolution = FailedPaymentResolution.objects.get()
    assert (resolution.kind, resolution.reference, resolution.paid_on, resolution.by) == (
        FailedPaymentResolution.Kind.PAID_BY_HAND,
        "XJ-0001",
        datetime.date(2026, 11, 21),
        county.clerk,
    )
    assert "凭证号 XJ-0001 · 发放日期 2026-11-21" in html
    assert reissue.status_code == 400
    assert ArrearsItem.objects.filter(reason=ArrearsItem.Reason.FAILED_PAYMENT).count() == 0


def test_a_reviewer_cannot_resolve_failed_lines(county, failed):
    plan, line = failed
    client = signed_in(county.reviewer)
    assert client.post(f"/pensions/lines/{line.pk}/reissue/").status_code == 403
    assert (
        client.post(
            f"/pensions/lines/{line.pk}/paid-by-hand/", {"reference": "X", "paid_on": "2026-11-20"}
        ).status_code
        == 403
    )
    assert FailedPaymentResolution.objects.count() == 0


def test_without_profile_settings_the_banks_get_their_default_profiles(county, enrol, banks, settings):
    settings.BANK_FILE_DEFAULT_PROFILES = {"PSBC": "psbc", "CCB": "ccb", "RCB": "ebank"}
    enrol_month(county, enrol)  # no set_profiles: nothing seeded
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)
    assert signed_in(county.clerk).post(f"/pensions/plans/{plan.pk}/bank-files/").status_code == 302
    plan_job_run(job_id=PlanJob.objects.get().pk)
    assert dict(BankFile.objects.values_list("bank__code", "profile_code")) == {
        "PSBC": "psbc",
        "CCB": "ccb",
        "RCC": "generic_xlsx",  # not in the setting
    }


def test_the_last_return_file_reconciles_the_plan(county, exported):
    plan, files = exported
    client = signed_in(county.clerk)
    with time_machine.travel(T_RETURN, tick=False):
        for file in files.values():
            assert upload(client, file, bank_answer(file)).status_code == 302
        html = client.get(page(plan)).content.decode()
    plan.refresh_from_db()
    assert plan.status == S.RECONCILED
    assert "全部回盘文件已导入,发放计划已对账完成。" in html
    table = html[html.index('id="bank-files-table"') :]
    for code, count in (("PSBC", 3), ("RCC", 1), ("CCB", 2)):
        row = table[table.index(f'data-bank="{code}"') :]
        row = row[: row.index("</tr>")]
        assert f"成功 {count} 笔,失败 0 笔" in row
        assert f"{county.clerk.display_name} 于 2026-11-20 16:00 导入" in row
    assert 'id="failed-lines-table"' in html
    assert "导入回盘</button>" not in html
