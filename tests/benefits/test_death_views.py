"""The death pages, the record page's death tab and life-event pages, the inbox and the API
(docs/deaths.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from benefits.models import DeathRegistration
from certification.models import DeathMatch
from registry.approvals import waiting_items
from registry.models import Recovery, Retiree, StatusChange
from tests.benefits.deaths_flow import NOV, OCT, RATE, SEP, approve_month, record
from tests.certification.deaths import confirmed_death
from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
DIED = datetime.date(2026, 9, 20)
PDF = b"%PDF-1.4\n% scan\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PAYOUT_FIRST_MONTH = "2026-09"


@pytest.fixture
def retiree(county, enrol):
    person = enrol(rates=((SEP.plus(-60), RATE),), name="周德海")
    enrol(rates=((SEP.plus(-60), "2650.00"),), name="吴长青")
    for month in (SEP, OCT, NOV):
        approve_month(county, month)
    return person


def signed_in(client, staff):
    client.force_login(staff)
    return client


def test_a_clerk_records_and_a_reviewer_confirms_after_seeing_the_money(client, county, retiree):
    page = signed_in(client, county.clerk).get(reverse("retiree-detail", args=[retiree.pk]))
    assert reverse("death-record", args=[retiree.pk]) in page.content.decode()

    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("death-record", args=[retiree.pk]),
        {
            "died_on": "2026-09-20",
            "reporter_name": "周小海",
            "reporter_relation": "儿子",
            "reporter_phone": "13800000000",
            "cremation_certificate": SimpleUploadedFile("cremation.pdf", PDF, "application/pdf"),
        },
    )
    registration = DeathRegistration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("death-detail", args=[registration.pk])
    assert registration.status == "pending"

    # The recorder is told to wait; no confirm button for them
    detail = client.get(reverse("death-detail", args=[registration.pk])).content.decode()
    assert 'id="awaiting-other"' in detail
    assert 'id="confirm-open"' not in detail
    document = client.get(reverse("death-document", args=[registration.pk, "cremation_certificate"]))
    assert document.status_code == 200

    reviewer = signed_in(client, county.reviewer)
    detail = reviewer.get(reverse("death-detail", args=[registration.pk])).content.decode()
    assert 'id="confirm-open"' in detail
    assert "2026-10" in detail and "2026-11" in detail and "¥5,600.00" in detail  # before confirming

    response = reviewer.post(
        reverse("death-confirm", args=[registration.pk]),
        {"recovered_months": "2026-10,2026-11", "recovered_total": "5600.00"},
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "confirmed"
    assert Retiree.objects.get(pk=retiree.pk).status == "deceased"

    tab = reviewer.get(reverse("death-retiree-tab", args=[retiree.pk])).content.decode()
    recovery = Recovery.objects.get()
    assert "2026-09-20" in tab
    assert reverse("payout-recovery-detail", args=[recovery.pk]) in tab
    assert "¥5,600.00" in tab


def test_a_confirmation_on_figures_that_changed_is_refused_and_nothing_changes(client, county, retiree):
    registration = record(county, retiree, DIED)
    response = signed_in(client, county.reviewer).post(
        reverse("death-confirm", args=[registration.pk]),
        {"recovered_months": "2026-10", "recovered_total": "2800.00"},
    )
    assert response.status_code == 400
    assert "已有变化" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "pending"
    assert Recovery.objects.count() == 0


def test_a_rejection_needs_a_reason(client, county, retiree):
    registration = record(county, retiree, DIED)
    reviewer = signed_in(client, county.reviewer)
    response = reviewer.post(reverse("death-reject", args=[registration.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "请填写退回原因" in response.content.decode()
    response = reviewer.post(reverse("death-reject", args=[registration.pk]), {"reason": "证明不清晰"})
    assert response.status_code == 302
    assert DeathRegistration.objects.get().status == "rejected"


def test_a_township_report_is_followed_by_its_officer_and_completed_by_the_clerk(client, county, retiree):
    officer = signed_in(client, county.officer_a)
    page = officer.get(reverse("retiree-detail", args=[retiree.pk])).content.decode()
    assert reverse("death-report", args=[retiree.pk]) in page
    assert reverse("death-record", args=[retiree.pk]) not in page
    response = officer.post(
        reverse("death-report", args=[retiree.pk]),
        {"died_on": "2026-09-20", "reporter_name": "王大妈", "reporter_relation": "邻居"},
    )
    assert response.status_code == 302
    report = DeathRegistration.objects.get()
    assert (report.status, report.reported_by) == ("reported", county.officer_a)
    listing = officer.get(reverse("death-my-reports")).content.decode()
    assert retiree.name in listing and "乡镇已报告" in listing
    # An officer of another township cannot report this person
    response = signed_in(client, county.officer_b).get(reverse("death-report", args=[retiree.pk]))
    assert response.status_code == 404

    clerk = signed_in(client, county.clerk)
    form = clerk.get(reverse("death-record-report", args=[report.pk])).content.decode()
    assert "王大妈" in form
    response = clerk.post(
        reverse("death-record-report", args=[report.pk]), {"died_on": "2026-09-20", "reporter_name": "王大妈"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.recorded_by) == ("pending", county.clerk)
    listing = signed_in(client, county.officer_a).get(reverse("death-my-reports")).content.decode()
    assert "待复核" in listing


def test_a_future_date_is_refused_in_chinese_and_nothing_is_written(client, county, retiree):
    response = signed_in(client, county.clerk).post(
        reverse("death-record", args=[retiree.pk]), {"died_on": "2099-01-01"}
    )
    assert response.status_code == 400
    assert "死亡日期不能晚于今天" in response.content.decode()
    assert DeathRegistration.objects.count() == 0


def test_the_deaths_review_list_offers_to_register_a_match_once(client, county, retiree):
    match = confirmed_death(retiree, by=county.clerk)
    clerk = signed_in(client, county.clerk)
    link = reverse("death-record-match", args=[match.pk])
    assert link in clerk.get(reverse("certification-death-matches")).content.decode()

    response = clerk.post(link, {"died_on": "2026-09-20"})
    assert response.status_code == 302
    assert DeathRegistration.objects.get().source == "deaths_list"
    assert link not in clerk.get(reverse("certification-death-matches")).content.decode()


def test_confirming_a_match_opens_its_prefilled_registration(client, county, retiree):
    match = confirmed_death(retiree, by=county.clerk)
    DeathMatch.objects.filter(pk=match.pk).update(
        status=DeathMatch.Status.PENDING, decided_by=None, decided_at=None, reported_died_on="2026-09-20"
    )
    clerk = signed_in(client, county.clerk)
    response = clerk.post(
        reverse("certification-death-match-decide", args=[match.pk]), {"decision": "confirm", "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("death-record-match", args=[match.pk])
    form = clerk.get(response["Location"]).content.decode()
    assert 'value="2026-09-20"' in form
    # Dismissing goes back to the list
    other = confirmed_death(retiree, by=county.clerk)
    DeathMatch.objects.filter(pk=other.pk).update(
        status=DeathMatch.Status.PENDING, decided_by=None, decided_at=None
    )
    response = clerk.post(
        reverse("certification-death-match-decide", args=[other.pk]),
        {"decision": "dismiss", "note": "同名不同人"},
    )
    assert response["Location"] == reverse("certification-death-matches")


def test_the_inbox_lists_pending_registrations_for_a_reviewer_who_did_not_record_them(county, retiree):
    registration = record(county, retiree, DIED)
    items = [item for item in waiting_items(county.reviewer) if item.kind == "death_registration"]
    assert [item.url for item in items] == [reverse("death-detail", args=[registration.pk])]
    assert [item for item in waiting_items(county.clerk) if item.kind == "death_registration"] == []


def test_a_clerk_transfers_a_retiree_out_naming_the_receiving_bureau(client, county, retiree):
    clerk = signed_in(client, county.clerk)
    url = reverse("retiree-transfer-out", args=[retiree.pk])
    response = clerk.post(url, {"effective_date": "2026-11-30", "reason": "随子女迁居"})
    assert response.status_code == 400
    assert "请填写转入地经办机构" in response.content.decode()
    assert Retiree.objects.get(pk=retiree.pk).status == "active"

    response = clerk.post(
        url, {"counterpart": "海口市社会保险事业局", "effective_date": "2026-11-30", "reason": "随子女迁居"}
    )
    assert response.status_code == 302
    change = StatusChange.objects.get(retiree=retiree)
    assert (change.to_status, change.counterpart, change.effective_date) == (
        "terminated",
        "海口市社会保险事业局",
        datetime.date(2026, 11, 30),
    )
    page = clerk.get(reverse("retiree-detail", args=[retiree.pk])).content.decode()
    assert "海口市社会保险事业局" in page


def test_a_clerk_terminates_a_retiree(client, county, retiree):
    response = signed_in(client, county.clerk).post(
        reverse("retiree-terminate", args=[retiree.pk]),
        {"effective_date": "2026-11-30", "reason": "法院判决"},
    )
    assert response.status_code == 302
    assert Retiree.objects.get(pk=retiree.pk).status == "terminated"
    assert StatusChange.objects.get(retiree=retiree).counterpart == ""


def test_the_api_records_confirms_and_shows_a_death(county, retiree):
    clerk = APIClient()
    clerk.force_authenticate(county.clerk)
    response = clerk.post(
        reverse("api-death-list"), {"retiree": retiree.pk, "died_on": "2026-09-20"}, format="multipart"
    )
    assert response.status_code == 201, response.data
    pk = response.data["id"]
    assert response.data["status"] == "pending"
    assert response.data["retiree_id_number"] != retiree.id_number  # masked

    response = clerk.post(
        reverse("api-death-confirm", args=[pk]),
        {"recovered_months": ["2026-10", "2026-11"], "recovered_total": "5600.00"},
        format="json",
    )
    assert response.status_code == 403

    reviewer = APIClient()
    reviewer.force_authenticate(county.reviewer)
    detail = reviewer.get(reverse("api-death-detail", args=[pk])).json()
    assert detail["preview"] == {"recovered_months": ["2026-10", "2026-11"], "recovered_total": "5600.00"}
    response = reviewer.post(
        reverse("api-death-confirm", args=[pk]),
        {"recovered_months": ["2026-10", "2026-11"], "recovered_total": "5600.00"},
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["status"] == "confirmed"
    assert response.data["settlement"]["recovered_total"] == "5600.00"
    assert Recovery.objects.get().amount == Decimal("5600.00")

    listing = reviewer.get(reverse("api-death-list"), {"status": "confirmed"})
    assert [row["id"] for row in listing.data["results"]] == [pk]


def test_the_api_lets_a_township_officer_report_only_in_their_township(county, retiree):
    officer = APIClient()
    officer.force_authenticate(county.officer_b)
    response = officer.post(reverse("api-death-report"), {"retiree": retiree.pk, "died_on": "2026-09-20"})
    assert response.status_code == 404
    officer.force_authenticate(county.officer_a)
    response = officer.post(reverse("api-death-report"), {"retiree": retiree.pk, "died_on": "2026-09-20"})
    assert response.status_code == 201
    assert officer.get(reverse("api-death-list")).status_code == 403
