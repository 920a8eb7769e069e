"""The claim pages, the API and the approval form PDF over the same services (docs/claims.md): the clerk
prepares from the registration, the reviewer approves the figures the dialog showed, a township officer sees
the progress only, the PDF carries the total in figures and in capitals."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from benefits.models import SurvivorClaim
from benefits.services.claims import ClaimFigures, claim_submit
from pensions.models import OneOffPayment
from registry.months import PensionMonth
from tests.benefits.claim_flow import (
    APPLICANT_ID,
    PDF,
    pay_month,
    prepare,
    set_parameters,
)
from tests.benefits.deaths_flow import record_and_confirm
from tests.clients import signed_in
from tests.pdfs import pdf_text

CONSENT = "申请人签字同意抵扣(申请表第 2 页)"


@pytest.fixture
def registration(county, enrol, settings):
    settings.PAYOUT_FIRST_MONTH = "2026-10"
    retiree = enrol(rates=((PensionMonth(2025, 1), "2800.00"),), name="钱老汉")
    pay_month(county, PensionMonth(2026, 10))
    pay_month(county, PensionMonth(2026, 11))
    registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 20))
    assert registration.recovery is not None and registration.recovery.amount == Decimal("5600.00")
    set_parameters(county.admin)
    return registration


def _form(bank_id: int, **extra: object) -> dict[str, object]:
    return {
        "applicant_name": "张小明",
        "applicant_relation": "子女",
        "applicant_id_number": APPLICANT_ID,
        "applicant_phone": "13907970001",
        "bank": bank_id,
        "account_number": "6217001234567890123",
        "holder_name": "张小明",
        "offset_consent": CONSENT,
        **extra,
    }


def _files() -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "applicant_id_copy": SimpleUploadedFile("id.pdf", PDF, "application/pdf"),
        "relation_proof": SimpleUploadedFile("relation.pdf", PDF, "application/pdf"),
    }


def test_prepare_submit_and_approve_through_the_pages(county, banks, registration):
    clerk = signed_in(county.clerk)
    page = clerk.get(reverse("benefit-claim-prepare", args=[registration.pk]))
    assert page.status_code == 200 and "办理丧葬抚恤" in page.content.decode()

    refused = clerk.post(
        reverse("benefit-claim-prepare", args=[registration.pk]),
        {**_form(banks["psbc"].pk, applicant_id_number="12345"), **_files()},
    )
    assert refused.status_code == 400
    assert "身份证号码" in refused.content.decode()
    assert not SurvivorClaim.objects.exists()

    made = clerk.post(
        reverse("benefit-claim-prepare", args=[registration.pk]), {**_form(banks["psbc"].pk), **_files()}
    )
    claim = SurvivorClaim.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("benefit-claim-detail", args=[claim.pk])
    detail = clerk.get(made["Location"]).content.decode()
    assert "¥30,400.00" in detail and "¥5,600.00" in detail and "¥3,200.00" in detail
    assert "6217001234567890123" not in detail and "6217***********0123" in detail
    assert APPLICANT_ID not in detail
    scan = clerk.get(reverse("benefit-claim-document", args=[claim.pk, "relation-proof"]))
    assert scan["Content-Type"] == "application/pdf" and b"".join(scan.streaming_content) == PDF
    assert clerk.get(reverse("benefit-claim-document", args=[claim.pk, "other"])).status_code == 404

    assert clerk.post(reverse("benefit-claim-submit", args=[claim.pk])).status_code == 302
    reviewer = signed_in(county.reviewer)
    dialog = reviewer.get(reverse("benefit-claim-detail", args=[claim.pk])).content.decode()
    assert 'id="claim-approve-modal"' in dialog
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', dialog))
    assert hidden["total"] == "30400.00"
    approved = reviewer.post(reverse("benefit-claim-approve", args=[claim.pk]), hidden)
    assert approved.status_code == 302
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.APPROVED
    assert OneOffPayment.objects.get().amount == Decimal("30400.00")


def test_the_clerk_who_prepared_sees_no_approve_button_and_a_stale_dialog_is_refused(
    county, banks, registration
):
    claim = prepare(registration, county.admin, banks["psbc"].pk, consent=CONSENT)
    claim_submit(claim=claim, by=county.admin)
    admin = signed_in(county.admin)
    page = admin.get(reverse("benefit-claim-detail", args=[claim.pk])).content.decode()
    assert 'id="claim-approve-modal"' not in page and "须由其他审核人员审批" in page
    stale = {**ClaimFigures.of(SurvivorClaim.objects.get()).__dict__, "total": "30000.00"}
    response = signed_in(county.reviewer).post(reverse("benefit-claim-approve", args=[claim.pk]), stale)
    assert response.status_code == 400 and "刷新页面" in response.content.decode()
    assert not OneOffPayment.objects.exists()


def test_a_township_officer_sees_the_progress_only(county, banks, registration, enrol):
    claim = prepare(registration, county.clerk, banks["psbc"].pk, consent=CONSENT)
    officer_a = signed_in(county.officer_a)
    listing = officer_a.get(reverse("benefit-claim-list")).content.decode()
    assert "钱老汉" in listing and "草稿" in listing
    assert "¥30,400.00" not in listing and "张小明" not in listing
    assert officer_a.get(reverse("benefit-claim-detail", args=[claim.pk])).status_code == 403
    assert officer_a.get(reverse("benefit-claim-pdf", args=[claim.pk])).status_code == 403
    scan = reverse("benefit-claim-document", args=[claim.pk, "applicant-id"])
    assert officer_a.get(scan).status_code == 403
    assert "钱老汉" not in signed_in(county.officer_b).get(reverse("benefit-claim-list")).content.decode()
    assert (
        signed_in(county.officer_b).get(reverse("benefit-claim-detail", args=[claim.pk])).status_code == 404
    )
    api = officer_a.get(reverse("api-benefit-claim-list")).json()
    [row] = api["results"]
    assert row["status"] == "draft" and "total" not in row and "applicant_name" not in row


def test_the_api_prepares_and_approves(county, banks, registration):
    clerk = signed_in(county.clerk)
    made = clerk.post(
        reverse("api-benefit-claim-list"),
        {
            **_form(banks["psbc"].pk),
            "bank_id": banks["psbc"].pk,
            "registration_id": registration.pk,
            **_files(),
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["total"], body["offset_amount"], body["compensation"]) == ("30400.00", "5600.00", "32000.00")
    assert body["account_number_masked"] == "6217***********0123"
    pk = body["id"]
    assert clerk.post(reverse("api-benefit-claim-submit", args=[pk])).status_code == 200
    figures = {key: body[key] for key in ClaimFigures.__dataclass_fields__}
    reviewer = signed_in(county.reviewer)
    own = signed_in(county.clerk).post(
        reverse("api-benefit-claim-approve", args=[pk]), figures, content_type="application/json"
    )
    assert own.status_code == 403
    approved = reviewer.post(
        reverse("api-benefit-claim-approve", args=[pk]), figures, content_type="application/json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved" and approved.json()["payment_status"] == "pending"
    again = reviewer.post(
        reverse("api-benefit-claim-approve", args=[pk]), figures, content_type="application/json"
    )
    assert again.status_code == 400
    assert OneOffPayment.objects.count() == 1


def test_the_approval_form_pdf(county, banks, registration, tmp_path: Path):
    claim = prepare(registration, county.clerk, banks["psbc"].pk, consent=CONSENT)
    response = signed_in(county.clerk).get(reverse("benefit-claim-pdf", args=[claim.pk]))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "claim.pdf"
    path.write_bytes(response.content)
    text = pdf_text(path)
    assert "丧葬抚恤费审批表" in text
    assert "30,400.00" in text and "叁万零肆佰元整" in text
    assert "3,200.00 × 10" in text and "采用公布数" in text
    for label in ("经办人", "复核人", "负责人"):
        assert label in text
    assert registration.retiree.id_number not in text and APPLICANT_ID not in text
    assert "6217***********0123" in text


def test_the_claim_button_on_the_registration_page(county, banks, registration):
    request = RequestFactory().get("/")
    request.user = county.clerk
    html = render_to_string("benefits/_claim_button.html", {"registration": registration, "request": request})
    assert reverse("benefit-claim-prepare", args=[registration.pk]) in html and "办理丧葬抚恤" in html
    request.user = county.reviewer
    assert "办理丧葬抚恤" not in render_to_string(
        "benefits/_claim_button.html", {"registration": registration, "request": request}
    )
    claim = prepare(registration, county.clerk, banks["psbc"].pk)
    request.user = county.clerk
    html = render_to_string("benefits/_claim_button.html", {"registration": registration, "request": request})
    assert reverse("benefit-claim-detail", args=[claim.pk]) in html and "草稿" in html
