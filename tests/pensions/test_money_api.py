"""The money API of a plan by role: fundings (a fen off is a JSON field error, nothing written), the funding
request PDF, the bank files' export (twice: the same files) and download (recorded), return files (the same
file again: already imported), failed lines re-issued or paid by hand."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

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
from registry.models import Staff

from .payout_flow import (
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
API = "/api/pensions"


def client_for(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def approved(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    return approved_plan(county)


@pytest.fixture
def funded(approved, county, banks):
    fund_all(approved, banks, county.reviewer)
    return approved


@pytest.fixture
def exported(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    return exported_plan(county, banks)


def funding(bank, amount, **extra):
    return {
        "bank": bank.pk,
        "amount": str(amount),
        "reference_number": "CZ-1",
        "transferred_on": "2026-11-12",
        **extra,
    }


def test_the_fundings_list_shows_what_each_bank_is_owed(county, approved, banks):
    response = client_for(county.auditor).get(f"{API}/plans/{approved.pk}/fundings/")
    assert response.status_code == 200
    assert [(row["bank"]["code"], row["net_total"], row["funding"]) for row in response.json()] == [
        ("CCB", "5784.00", None),
        ("PSBC", "7660.65", None),
        ("RCC", "2800.00", None),
    ]


def test_a_reviewer_records_a_funding(county, approved, banks):
    with time_machine.travel(T_FUND, tick=False):
        response = client_for(county.reviewer).post(
            f"{API}/plans/{approved.pk}/fundings/", funding(banks["psbc"], "7660.65"), format="json"
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["bank"]["code"], body["amount"], body["reference_number"], body["transferred_on"]) == (
        "PSBC",
        "7660.65",
        "CZ-1",
        "2026-11-12",
    )
    assert body["recorded_by"] == county.reviewer.display_name
    assert Funding.objects.get().recorded_at == T_FUND
    listed = client_for(county.clerk).get(f"{API}/plans/{approved.pk}/fundings/").json()
    assert listed[1]["funding"]["id"] == body["id"]


def test_a_fen_off_funding_is_a_field_error_and_nothing_is_written(county, approved, banks):
    with time_machine.travel(T_FUND, tick=False):
        response = client_for(county.reviewer).post(
            f"{API}/plans/{approved.pk}/fundings/", funding(banks["psbc"], "7660.64"), format="json"
        )
    assert response.status_code == 400
    assert response.json() == {
        "amount": ["拨付金额 ¥7,660.64 与 中国邮政储蓄银行 的实发合计 ¥7,660.65 不一致。"]
    }
    assert Funding.objects.count() == 0


def test_funding_input_errors_are_per_field(county, approved, banks):
    with time_machine.travel(T_FUND, tick=False):
        response = client_for(county.reviewer).post(
            f"{API}/plans/{approved.pk}/fundings/",
            {"bank": 999999, "amount": "7660.655", "reference_number": "", "transferred_on": "2026-13-01"},
            format="json",
        )
    assert response.status_code == 400
    assert set(response.json()) == {"bank", "amount", "reference_number", "transferred_on"}
    assert Funding.objects.count() == 0


@pytest.mark.parametrize("persona", ["clerk", "auditor", "officer_a"])
def test_only_a_reviewer_funds(county, approved, banks, persona):
    with time_machine.travel(T_FUND, tick=False):
        response = client_for(getattr(county, persona)).post(
            f"{API}/plans/{approved.pk}/fundings/", funding(banks["psbc"], "7660.65"), format="json"
        )
    assert response.status_code == 403
    assert Funding.objects.count() == 0


def test_the_funding_request_pdf(county, approved):
    response = client_for(county.reviewer).get(f"{API}/plans/{approved.pk}/funding-request.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        client_for(county.officer_a).get(f"{API}/plans/{approved.pk}/funding-request.pdf").status_code == 403
    )


def test_a_clerk_exports_and_again_gets_the_same_files(county, funded):
    client = client_for(county.clerk)
    started = client.post(f"{API}/plans/{funded.pk}/bank-files/")
    assert started.status_code == 202
    job = started.json()
    assert (job["kind"], job["status"], job["plan_id"]) == ("bank_files", "queued", None)
    # A second call while the export is queued is refused: never a second export.
    busy = client.post(f"{API}/plans/{funded.pk}/bank-files/")
    assert busy.status_code == 400
    assert "正在生成该月银行文件" in busy.json()["month"][0]
    assert PlanJob.objects.count() == 1
    assert BankFile.objects.count() == 0
    plan_job_run(job_id=job["id"])
    job = client.get(job["url"]).json()
    assert (job["status"], job["plan_id"], job["unencodable_lines"]) == ("done", funded.pk, [])
    first = client.get(f"{API}/plans/{funded.pk}/bank-files/")
    again = client.post(f"{API}/plans/{funded.pk}/bank-files/")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert BankFile.objects.count() == 3
    assert PlanJob.objects.count() == 1
    rows = {row["bank"]["code"]: row for row in first.json()}
    assert (rows["PSBC"]["line_count"], rows["PSBC"]["total"], rows["PSBC"]["download_count"]) == (
        3,
        "7660.65",
        0,
    )
    assert rows["PSBC"]["return_file"] is None
    assert client_for(county.auditor).get(f"{API}/plans/{funded.pk}/bank-files/").json() == first.json()


def test_a_reviewer_cannot_export(county, funded):
    assert client_for(county.reviewer).post(f"{API}/plans/{funded.pk}/bank-files/").status_code == 403
    assert BankFile.objects.count() == 0


def test_unencodable_names_come_back_listed(county, enrol, banks):
    enrol_month(county, enrol, names={0: "王䶮"})
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)
    client = client_for(county.clerk)
    response = client.post(f"{API}/plans/{plan.pk}/bank-files/")
    assert response.status_code == 202
    plan_job_run(job_id=response.json()["id"])
    body = client.get(response.json()["url"]).json()
    assert (body["status"], body["plan_id"]) == ("failed", None)
    assert body["error"].startswith("有 1 人的姓名含有银行文件编码无法表示的字符,所有银行文件都没有生成。")
    assert [
        (line["bank"], line["name"], line["characters"], line["code_points"])
        for line in body["unencodable_lines"]
    ] == [("中国邮政储蓄银行", "王䶮", "䶮", "U+4DAE")]
    assert BankFile.objects.count() == 0


def test_a_download_is_recorded(county, exported):
    plan, files = exported
    file = files["ccb"]
    when = datetime.datetime(2026, 11, 13, 11, 0, tzinfo=SH)
    with time_machine.travel(when, tick=False):
        response = client_for(county.clerk).get(f"{API}/bank-files/{file.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-SHA256"] == file.sha256
    assert hashlib.sha256(response.content).hexdigest() == file.sha256
    assert list(BankFileDownload.objects.values_list("bank_file_id", "by_id", "at")) == [
        (file.pk, county.clerk.pk, when)
    ]
    listed = client_for(county.clerk).get(f"{API}/plans/{plan.pk}/bank-files/").json()
    assert {row["bank"]["code"]: row["download_count"] for row in listed} == {"CCB": 1, "PSBC": 0, "RCC": 0}


@pytest.mark.parametrize("persona", ["auditor", "officer_a"])
def test_who_cannot_download(county, exported, persona):
    _plan, files = exported
    response = client_for(getattr(county, persona)).get(f"{API}/bank-files/{files['ccb'].pk}/download/")
    assert response.status_code == 403
    assert BankFileDownload.objects.count() == 0


def psbc_failure(plan) -> tuple[PayoutLine, str]:
    line = PayoutLine.objects.get(plan=plan, name="张建国")
    assert line.bank_id is not None
    sent = payment_lines(plan=plan)[line.bank_id]
    return line, next(p.reference for p in sent if p.name == "张建国")


def post_return(client, bank_file: BankFile, content: bytes):
    return client.post(
        f"{API}/bank-files/{bank_file.pk}/return-files/",
        {"file": SimpleUploadedFile("回盘.txt", content)},
        format="multipart",
    )


def test_a_return_file_marks_the_lines_and_the_same_file_again_is_already_imported(county, exported):
    plan, files = exported
    line, reference = psbc_failure(plan)
    content = bank_answer(files["psbc"], failures={reference: ("E01", "账户已销户")})
    client = client_for(county.clerk)
    with time_machine.travel(T_RETURN, tick=False):
        first = post_return(client, files["psbc"], content)
        again = post_return(client, files["psbc"], content)
    assert first.status_code == 201
    body = first.json()
    assert (body["already_imported"], body["plan_reconciled"]) == (False, False)
    assert (body["return_file"]["paid_count"], body["return_file"]["failed_count"]) == (2, 1)
    assert (body["return_file"]["paid_total"], body["return_file"]["failed_total"]) == ("5010.65", "2650.00")
    assert again.status_code == 200
    assert again.json()["already_imported"] is True
    assert ReturnFile.objects.count() == 1
    failed = client_for(county.auditor).get(f"{API}/plans/{plan.pk}/failed-lines/").json()
    assert len(failed) == 1
    assert (failed[0]["id"], failed[0]["name"], failed[0]["net"], failed[0]["resolution"]) == (
        line.pk,
        "张建国",
        "2650.00",
        None,
    )
    assert "账户已销户" in failed[0]["bank_reason"]
    assert failed[0]["id_number_masked"] != line.id_number


def test_a_bad_return_file_is_a_file_error_and_nothing_changes(county, exported):
    plan, files = exported
    with time_machine.travel(T_RETURN, tick=False):
        response = post_return(client_for(county.clerk), files["psbc"], b"garbage")
        missing = client_for(county.clerk).post(
            f"{API}/bank-files/{files['psbc'].pk}/return-files/", {}, format="multipart"
        )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert missing.status_code == 400
    assert list(missing.json()) == ["file"]
    assert ReturnFile.objects.count() == 0
    assert set(PayoutLine.objects.filter(plan=plan).values_list("payment_status", flat=True)) == {"pending"}


def test_a_reviewer_cannot_import(county, exported):
    _plan, files = exported
    response = post_return(client_for(county.reviewer), files["psbc"], bank_answer(files["psbc"]))
    assert response.status_code == 403
    assert ReturnFile.objects.count() == 0


@pytest.fixture
def failed_line(county, exported):
    plan, files = exported
    line, reference = psbc_failure(plan)
    content = bank_answer(files["psbc"], failures={reference: ("E01", "账户已销户")})
    with time_machine.travel(T_RETURN, tick=False):
        post_return(client_for(county.clerk), files["psbc"], content)
    return line


def test_reissue_and_then_not_again(county, failed_line):
    client = client_for(county.clerk)
    when = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=SH)
    with time_machine.travel(when, tick=False):
        response = client.post(f"{API}/lines/{failed_line.pk}/reissue/")
        again = client.post(f"{API}/lines/{failed_line.pk}/reissue/")
        by_hand = client.post(
            f"{API}/lines/{failed_line.pk}/paid-by-hand/", {"reference": "XJ-1"}, format="json"
        )
    assert response.status_code == 201
    resolution = response.json()["resolution"]
    assert (resolution["kind"], resolution["by"], resolution["reference"], resolution["paid_on"]) == (
        "reissued",
        county.clerk.display_name,
        "",
        None,
    )
    assert resolution["arrears_item_id"] == FailedPaymentResolution.objects.get().arrears_item_id
    assert again.status_code == 400
    assert list(again.json()) == ["non_field_errors"]
    assert by_hand.status_code == 400
    assert FailedPaymentResolution.objects.count() == 1


def test_paid_by_hand_with_field_errors_first(county, failed_line):
    client = client_for(county.clerk)
    when = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=SH)
    with time_machine.travel(when, tick=False):
        blank = client.post(f"{API}/lines/{failed_line.pk}/paid-by-hand/", {"reference": ""}, format="json")
        future = client.post(
            f"{API}/lines/{failed_line.pk}/paid-by-hand/",
            {"reference": "XJ-1", "paid_on": "2026-11-22"},
            format="json",
        )
        assert FailedPaymentResolution.objects.count() == 0
        response = client.post(
            f"{API}/lines/{failed_line.pk}/paid-by-hand/", {"reference": "XJ-1"}, format="json"
        )
    assert blank.status_code == 400 and list(blank.json()) == ["reference"]
    assert future.json() == {"paid_on": ["发放日期不能晚于今天。"]}
    assert response.status_code == 201
    resolution = response.json()["resolution"]
    assert (resolution["kind"], resolution["reference"], resolution["paid_on"]) == (
        "paid_by_hand",
        "XJ-1",
        "2026-11-21",
    )


@pytest.mark.parametrize("persona", ["reviewer", "auditor", "officer_a"])
def test_who_cannot_resolve(county, failed_line, persona):
    client = client_for(getattr(county, persona))
    assert client.post(f"{API}/lines/{failed_line.pk}/reissue/").status_code == 403
    assert (
        client.post(
            f"{API}/lines/{failed_line.pk}/paid-by-hand/", {"reference": "X"}, format="json"
        ).status_code
        == 403
    )
    assert FailedPaymentResolution.objects.count() == 0


def test_unknown_ids_are_404(county):
    client = client_for(county.clerk)
    assert client.get(f"{API}/plans/999999/fundings/").status_code == 404
    assert client.get(f"{API}/bank-files/999999/download/").status_code == 404
    assert client.post(f"{API}/lines/999999/reissue/").status_code == 404
