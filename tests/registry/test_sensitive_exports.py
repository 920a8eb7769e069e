"""One rule for files with personal numbers (docs/personal-data.md): masked by default; full only for a role
with VIEW_SENSITIVE that states a purpose; each full file recorded with who, when, what, how many and why."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from registry.errors import SensitiveExportError
from registry.models import SensitiveExport
from registry.services import (
    MASKED,
    ExportNumbers,
    sensitive_export_numbers,
    sensitive_export_record,
)

NOW = datetime.datetime(2026, 5, 6, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("persona", ["admin", "clerk", "reviewer", "auditor"])
def test_no_purpose_is_masked_for_every_role(county, persona):
    user = county.staff_by_role()[persona]
    assert sensitive_export_numbers(user=user, purpose=None) == MASKED
    assert sensitive_export_numbers(user=user, purpose="  ", purpose_note="x") == MASKED


@pytest.mark.parametrize("persona", ["admin", "clerk", "reviewer", "auditor"])
def test_a_role_with_view_sensitive_and_a_purpose_gets_full_numbers(county, persona):
    user = county.staff_by_role()[persona]
    assert sensitive_export_numbers(user=user, purpose="audit", purpose_note=" 年度审计 ") == ExportNumbers(
        full=True, purpose="audit", purpose_note="年度审计"
    )


@pytest.mark.parametrize("persona", ["officer_a", "station_a1"])
def test_township_staff_asking_for_full_numbers_are_refused(county, persona):
    with pytest.raises(PermissionDenied):
        sensitive_export_numbers(user=county.staff_by_role()[persona], purpose="audit")


def test_an_unknown_purpose_or_an_unexplained_other_is_refused(county):
    with pytest.raises(SensitiveExportError) as unknown:
        sensitive_export_numbers(user=county.clerk, purpose="curiosity")
    assert (unknown.value.field, unknown.value.message) == ("purpose", "请选择导出完整号码的用途。")
    with pytest.raises(SensitiveExportError) as other:
        sensitive_export_numbers(user=county.clerk, purpose="other", purpose_note="  ")
    assert other.value.field == "purpose_note"
    with pytest.raises(SensitiveExportError):
        sensitive_export_numbers(user=county.clerk, purpose="other", purpose_note="字" * 201)
    assert sensitive_export_numbers(user=county.clerk, purpose="other", purpose_note="法院调取").full


def test_a_full_export_is_recorded_and_a_masked_one_is_not(county):
    with time_machine.travel(NOW, tick=False):
        record = sensitive_export_record(
            by=county.clerk,
            numbers=ExportNumbers(full=True, purpose="audit"),
            export="pensions.plan_lines",
            label="2026年04月 发放明细",
            person_count=3,
            detail={"plan": 7, "q": "", "township_id": None, "withheld_only": False, "bank_id": 0},
        )
    assert record is not None
    record.refresh_from_db()
    assert (record.staff, record.exported_at, record.person_count, record.purpose, record.detail) == (
        county.clerk,
        NOW,
        3,
        "audit",
        {"plan": 7, "bank_id": 0},
    )
    masked = sensitive_export_record(
        by=county.clerk, numbers=MASKED, export="pensions.plan_lines", label="x", person_count=3
    )
    assert masked is None
    assert SensitiveExport.objects.count() == 1


def test_records_cannot_be_edited_or_deleted_and_other_needs_a_reason(county):
    record = sensitive_export_record(
        by=county.clerk,
        numbers=ExportNumbers(full=True, purpose="audit"),
        export="registry.retiree_list",
        label="退休人员名单",
        person_count=2,
    )
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011  # pgtrigger's own error class
        SensitiveExport.objects.filter(pk=record.pk).update(person_count=1)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011
        SensitiveExport.objects.filter(pk=record.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        SensitiveExport.objects.create(
            staff=county.clerk, exported_at=NOW, export="x", label="x", person_count=1, purpose="other"
        )
    assert list(SensitiveExport.objects.values_list("person_count", flat=True)) == [2]


def test_recording_needs_view_sensitive_even_when_a_caller_made_up_full_numbers(county):
    with pytest.raises(PermissionDenied):
        sensitive_export_record(
            by=county.officer_a,
            numbers=ExportNumbers(full=True, purpose="audit"),
            export="registry.retiree_list",
            label="x",
            person_count=1,
        )
    assert SensitiveExport.objects.count() == 0


# Through the pages ------------------------------------------------------------------------------------------


def test_a_bad_purpose_on_a_page_is_a_400_page_and_no_file(client, county):
    client.force_login(county.clerk)
    response = client.get(reverse("retiree-export"), {"purpose": "other"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "用途选择“其他”时,请说明导出完整号码做什么用。" in response.content.decode()
    assert SensitiveExport.objects.count() == 0


def test_township_staff_asking_for_a_full_list_get_403_and_nothing_is_recorded(client, county):
    client.force_login(county.officer_a)
    assert client.get(reverse("retiree-export"), {"purpose": "audit"}).status_code == 403
    assert client.get(reverse("certification-missing-xlsx"), {"purpose": "audit"}).status_code == 403
    assert SensitiveExport.objects.count() == 0


def test_the_dialog_is_offered_only_to_roles_that_may_see_full_numbers(client, county):
    client.force_login(county.clerk)
    page = client.get(reverse("retiree-list"), {"status": "active"}).content.decode()
    assert 'id="retiree-full-export"' in page
    assert '<input type="hidden" name="status" value="active">' in page
    assert '<option value="bank_reconciliation">与银行核对发放</option>' in page
    client.force_login(county.officer_a)
    assert 'id="retiree-full-export"' not in client.get(reverse("retiree-list")).content.decode()


def test_the_missing_list_offers_full_numbers_for_the_xlsx_and_the_pdf_to_a_clerk_only(client, county):
    client.force_login(county.clerk)
    page = client.get(reverse("certification-missing")).content.decode()
    assert 'id="missing-full-export"' in page and 'id="missing-full-pdf"' in page
    assert f'action="{reverse("certification-missing-pdf")}"' in page
    assert "打印完整号码…" in page
    client.force_login(county.officer_a)
    page = client.get(reverse("certification-missing")).content.decode()
    assert "missing-full-" not in page
