"""The county-wide audit log (/audit/): every source merged newest first, filters, keyset pages without a
count, the xlsx file, and who may read it."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pensions.models import BankFile, BankFileDownload, PayoutPlan, PlanTransition, RecoveryWriteOff
from registry.models import (
    CertificatePrint,
    ChangeRequest,
    PensionRate,
    Recovery,
    SensitiveExport,
    SensitiveView,
)
from registry.months import PensionMonth
from registry.selectors.audit_log import AuditLogFilters, audit_log_page, audit_log_rows, audit_sources
from registry.services import ExportNumbers, sensitive_export_record
from tests.factories import BankFactory

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 5, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def trail(county):
    """One event of every kind, a day apart (May 1 … May 7), each by a known person."""
    a1 = county.retiree_a1
    with time_machine.travel(at(1), tick=False):
        SensitiveView.objects.create(staff=county.clerk, retiree=a1, field=SensitiveView.Field.ID_NUMBER)
    with time_machine.travel(at(2), tick=False):
        sensitive_export_record(
            by=county.reviewer,
            numbers=ExportNumbers(full=True, purpose="other", purpose_note="核对 110101195001011234 的账户"),
            export="pensions.plan_lines",
            label="2026年04月 发放明细",
            person_count=120,
            detail={"plan": 1, "q": "110101195001011234"},
        )
    request = ChangeRequest.objects.create(
        retiree=a1,
        field=ChangeRequest.Field.CONTACT,
        old_value={"phone": "1"},
        new_value={"phone": "2"},
        reason="换号",
        requested_by=county.clerk,
        status=ChangeRequest.Status.APPROVED,
        decided_by=county.reviewer,
        decided_at=at(3),
        decision_comment="属实",
    )
    with time_machine.travel(at(4), tick=False):
        PensionRate.objects.create(
            retiree=county.retiree_b1,
            amount=Decimal("3100.50"),
            effective_month=PensionMonth(2026, 1),
            reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
            created_by=county.admin,
        )
    plan = PayoutPlan.objects.create(month=PensionMonth(2026, 4), generated_at=at(5), created_by=county.clerk)
    PlanTransition.objects.create(
        plan=plan, from_status="submitted", to_status="approved", by=county.reviewer, at=at(5)
    )
    recovery = Recovery.objects.create(
        retiree=a1,
        amount=Decimal("500.00"),
        from_month=202601,
        to_month=202601,
        reason=Recovery.Reason.RATE_CHANGE,
        created_by=county.clerk,
    )
    RecoveryWriteOff.objects.create(
        recovery=recovery,
        amount=Decimal("200.00"),
        reason="无力偿还",
        recovery_created_by=county.clerk,
        by=county.reviewer,
        at=at(6),
    )
    bank_file = BankFile.objects.create(
        plan=plan,
        bank=BankFactory(name="中国建设银行"),
        name="CCB-202604.xlsx",
        content_type="application/octet-stream",
        content=b"x",
        sha256="0" * 64,
        line_count=321,
        total=Decimal("1000.00"),
        profile_code="ccb",
        profile={},
        created_by=county.clerk,
        created_at=at(7),
    )
    BankFileDownload.objects.create(bank_file=bank_file, by=county.clerk, at=at(7))
    return request


def kinds(rows):
    return [(row.kind, row.who, timezone_local(row.at)) for row in rows]


def timezone_local(value):
    return value.astimezone(TZ).strftime("%m-%d %H:%M")


def test_every_source_is_registered_once_with_its_own_rank():
    assert [source.kind for source in audit_sources()] == [
        "sensitive_view",
        "sensitive_export",
        "change_decision",
        "rate_change",
        "certificate_print",
        "plan_transition",
        "one_off_batch_transition",
        "write_off",
        "write_off_rejection",
        "bank_file_download",
        "recovery_clawback_request",
        "recovery_clawback_result",
        "recovery_referral",
        "recovery_document",
        "survivor_claim",
        "death_recorded",
        "death_decided",
        "death_corrected",
        "benefit_parameter",
        "adjustment_parameters",
        "adjustment_run",
        "retiree_flag",
    ]


def test_the_log_merges_every_source_newest_first_with_masked_numbers(county, trail):
    page = audit_log_page(filters=AuditLogFilters())

    assert page.next_cursor is None
    assert kinds(page.rows) == [
        ("bank_file_download", "c", "05-07 09:00"),
        ("write_off", "r", "05-06 09:00"),
        ("plan_transition", "r", "05-05 09:00"),
        ("rate_change", "a", "05-04 09:00"),
        ("change_decision", "r", "05-03 09:00"),
        ("sensitive_export", "r", "05-02 09:00"),
        ("sensitive_view", "c", "05-01 09:00"),
    ]
    by_kind = {row.kind: row for row in page.rows}
    masked_a1 = f"张建国 {county.retiree_a1.masked_id_number}"
    assert by_kind["sensitive_view"].retiree == masked_a1
    export = by_kind["sensitive_export"]
    assert (export.count, export.subject, export.note) == (
        120,
        "2026年04月 发放明细(q=110101********1234; plan=1)",
        "用途:其他(须说明):核对 110101********1234 的账户",
    )
    assert by_kind["change_decision"].action == "批准"
    assert by_kind["change_decision"].note == "申请人:c;属实"
    assert by_kind["rate_change"].subject == "月养老金 ¥3,100.50,自 2026-01 起"
    assert by_kind["plan_transition"].action == "已提交 → 已审批"
    assert by_kind["write_off"].subject == "核销 ¥200.00(追回项登记人:c)"
    assert (by_kind["bank_file_download"].count, by_kind["bank_file_download"].action) == (
        321,
        "下载银行文件(完整账号)",
    )
    for row in page.rows:
        assert county.retiree_a1.id_number not in f"{row.retiree}{row.subject}{row.note}"


def test_write_off_requests_show_who_asked_and_who_rejected(county):
    from pensions.services import write_off_request, write_off_request_approve, write_off_request_reject

    def owed(amount: str) -> Recovery:
        return Recovery.objects.create(
            retiree=county.retiree_a1,
            amount=Decimal(amount),
            from_month=202601,
            to_month=202601,
            reason=Recovery.Reason.RATE_CHANGE,
            created_by=county.clerk,
        )

    first, second = owed("300.00"), owed("80.00")
    with time_machine.travel(at(10), tick=False):
        asked = write_off_request(recovery=first, reason="无力偿还", by=county.admin)
        refused = write_off_request(recovery=second, reason="无力偿还", by=county.clerk)
    with time_machine.travel(at(11), tick=False):
        write_off_request_reject(
            request=refused, by=county.reviewer, note="查到 110101195001011234 名下有存款"
        )
    with time_machine.travel(at(12), tick=False):
        write_off_request_approve(request=asked, by=county.reviewer, expected_balance=Decimal("300.00"))

    rows = audit_log_page(filters=AuditLogFilters()).rows
    assert kinds(rows) == [("write_off", "r", "05-12 09:00"), ("write_off_rejection", "r", "05-11 09:00")]
    write_off, rejection = rows
    assert write_off.subject == "核销 ¥300.00(追回项登记人:c;申请人:a)"
    assert (rejection.action, rejection.subject, rejection.note) == (
        "驳回核销申请",
        "申请核销 ¥80.00(申请人:c)",
        "查到 110101********1234 名下有存款",
    )
    assert rejection.url == f"/pensions/recoveries/{second.pk}/"


def test_filters_by_kind_staff_dates_and_retiree(county, trail):
    def listed(**filters):
        return [row.kind for row in audit_log_page(filters=AuditLogFilters(**filters)).rows]

    assert listed(kind="rate_change") == ["rate_change"]
    assert listed(staff_id=county.clerk.pk) == ["bank_file_download", "sensitive_view"]
    assert listed(date_from=datetime.date(2026, 5, 3), date_to=datetime.date(2026, 5, 5)) == [
        "plan_transition",
        "rate_change",
        "change_decision",
    ]
    # A retiree filter keeps only the kinds that concern one retiree.
    assert listed(retiree=county.retiree_a1.id_number) == ["write_off", "change_decision", "sensitive_view"]
    assert listed(retiree="王德") == ["rate_change"]
    assert listed(retiree="赵") == []
    assert listed(kind="sensitive_export", retiree="张") == []


def test_keyset_pages_never_repeat_or_skip_rows_of_the_same_moment(county):
    # Eleven views and five rates, all at the same instant, and more at other times.
    same = at(9, 10)
    with time_machine.travel(same, tick=False):
        for _ in range(11):
            SensitiveView.objects.create(staff=county.clerk, retiree=county.retiree_a1, field="id_number")
        for month in range(1, 6):
            PensionRate.objects.create(
                retiree=county.retiree_a2,
                amount=Decimal("100.00"),
                effective_month=PensionMonth(2025, month),
                reason=PensionRate.Reason.CORRECTION,
                created_by=county.admin,
            )
    with time_machine.travel(at(8), tick=False):
        for _ in range(3):
            SensitiveView.objects.create(staff=county.auditor, retiree=county.retiree_b1, field="id_number")
    every = [(row.kind, row.pk) for row in audit_log_page(filters=AuditLogFilters(), page_size=100).rows]
    assert len(every) == 19 and len(set(every)) == 19

    seen: list[tuple[str, int]] = []
    cursor = ""
    pages = 0
    while True:
        page = audit_log_page(filters=AuditLogFilters(), cursor=cursor, page_size=4)
        seen += [(row.kind, row.pk) for row in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == every
    assert pages == 5
    # Same moment: the higher rank (rates) first, then views, each by id descending.
    assert [kind for kind, _pk in every[:6]] == ["rate_change"] * 5 + ["sensitive_view"]


def test_a_page_reads_a_bounded_number_of_rows_and_never_counts(county, trail):
    with CaptureQueriesContext(connection) as queries:
        audit_log_page(filters=AuditLogFilters(), page_size=2)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "COUNT(" not in sql.upper()
    assert len(queries.captured_queries) == len(audit_sources())
    assert all("LIMIT 3" in query["sql"] for query in queries.captured_queries)


def test_a_malformed_cursor_starts_from_the_top(county, trail):
    assert (
        audit_log_page(filters=AuditLogFilters(), cursor="nonsense_1_2").rows[0].kind == "bank_file_download"
    )


def test_rows_for_the_file_are_the_pages_in_order_read_in_chunks(county, trail):
    with time_machine.travel(at(3), tick=False):  # the same moment as the change decision
        for _ in range(5):
            SensitiveView.objects.create(staff=county.auditor, retiree=county.retiree_b1, field="id_number")
    paged = [(row.kind, row.pk) for row in audit_log_page(filters=AuditLogFilters(), page_size=100).rows]
    streamed = [(row.kind, row.pk) for row in audit_log_rows(filters=AuditLogFilters(), limit=100, chunk=2)]
    assert len(paged) == 12
    assert streamed == paged


def test_rows_for_the_file_stop_at_the_limit(county, trail):
    assert [row.kind for row in audit_log_rows(filters=AuditLogFilters(), limit=3, chunk=2)] == [
        "bank_file_download",
        "write_off",
        "plan_transition",
    ]


# The page ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "admin"])
def test_the_auditor_and_the_admin_read_the_log_and_page_through_it(client, county, trail, persona):
    client.force_login(county.staff_by_role()[persona])

    first = client.get(reverse("audit-log"), {"staff": county.reviewer.pk})
    assert first.status_code == 200
    html = first.content.decode()
    assert html.count("<tr data-kind=") == 4
    assert 'id="nav-audit-log"' in html
    assert 'id="audit-next"' not in html

    page = client.get(reverse("audit-log"))
    assert page.content.decode().count("<tr data-kind=") == 7


def test_the_page_links_to_the_next_page_with_the_filters(client, county, trail, monkeypatch):
    monkeypatch.setattr("registry.selectors.audit_log.PAGE_SIZE", 2)
    client.force_login(county.auditor)
    html = client.get(reverse("audit-log"), {"date_from": "2026-05-02"}).content.decode()
    assert html.count("<tr data-kind=") == 2
    href = html.split('id="audit-next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert href.startswith("?date_from=2026-05-02&after=")
    second = client.get(reverse("audit-log") + href).content.decode()
    assert second.count("<tr data-kind=") == 2
    assert 'data-kind="plan_transition"' in second and 'data-kind="rate_change"' in second
    assert 'id="audit-first"' in second


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "officer_a", "station_a1"])
def test_other_roles_get_403(client, county, trail, persona):
    client.force_login(county.staff_by_role()[persona])
    assert client.get(reverse("audit-log")).status_code == 403
    assert client.get(reverse("audit-log-export")).status_code == 403
    assert 'id="nav-audit-log"' not in client.get("/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("audit-log")).status_code == 302


def test_the_xlsx_holds_the_filtered_rows_masked(client, county, trail):
    client.force_login(county.auditor)

    response = client.get(reverse("audit-log-export"), {"retiree": "张建国"})

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "类别", "经办人", "操作", "内容", "退休人员", "人数", "说明")
    assert [(row[0], row[1], row[2]) for row in rows[1:]] == [
        ("2026-05-06 09:00:00", "追回核销", "r"),
        ("2026-05-03 09:00:00", "信息变更审批", "r"),
        ("2026-05-01 09:00:00", "查看完整号码", "c"),
    ]
    assert {row[5] for row in rows[1:]} == {f"张建国 {county.retiree_a1.masked_id_number}"}
    assert SensitiveExport.objects.count() == 1  # reading the log records nothing new


def test_the_admin_site_links_to_the_log_instead_of_the_slow_events_page(client, county):
    client.force_login(county.admin)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert f'<a href="{reverse("audit-log")}">' in index.content.decode()
    assert client.get("/admin/pghistory/events/").status_code == 404


# Benefit certificate printings (the certificate carries the full ID number) ---------------------------------


@pytest.fixture
def prints(county, trail):
    """On top of the trail: the clerk prints 张建国's certificate on the page on May 4 at 9:00 (the moment of
    the rate change, a lower rank), the admin reprints it through the API on May 8, and the clerk prints
    王德胜's on May 8 at the same moment."""
    rows = []
    for when, staff, retiree, channel in (
        (at(4), county.clerk, county.retiree_a1, CertificatePrint.Channel.PAGE),
        (at(8), county.admin, county.retiree_a1, CertificatePrint.Channel.API),
        (at(8), county.clerk, county.retiree_b1, CertificatePrint.Channel.PAGE),
    ):
        rows.append(
            CertificatePrint.objects.create(
                retiree=retiree,
                certificate_number=f"C{retiree.pk:06d}",
                printed_by=staff,
                printed_at=when,
                channel=channel,
            )
        )
    return rows


def test_certificate_printings_are_in_the_log_masked(county, trail, prints):
    page = audit_log_page(filters=AuditLogFilters())

    assert kinds(page.rows) == [
        ("certificate_print", "c", "05-08 09:00"),
        ("certificate_print", "a", "05-08 09:00"),
        ("bank_file_download", "c", "05-07 09:00"),
        ("write_off", "r", "05-06 09:00"),
        ("plan_transition", "r", "05-05 09:00"),
        ("certificate_print", "c", "05-04 09:00"),
        ("rate_change", "a", "05-04 09:00"),
        ("change_decision", "r", "05-03 09:00"),
        ("sensitive_export", "r", "05-02 09:00"),
        ("sensitive_view", "c", "05-01 09:00"),
    ]
    reprint = page.rows[1]
    a1 = county.retiree_a1
    assert (reprint.kind_label, reprint.action, reprint.subject, reprint.retiree, reprint.note) == (
        "打印待遇证",
        "打印待遇证",
        f"待遇证号 C{a1.pk:06d}(接口)",
        f"张建国 {a1.masked_id_number}",
        "证上印有完整身份证号码",
    )
    assert page.rows[5].subject == f"待遇证号 C{a1.pk:06d}(页面)"
    for row in page.rows:
        assert a1.id_number not in f"{row.retiree}{row.subject}{row.note}"
        assert county.retiree_b1.id_number not in f"{row.retiree}{row.subject}{row.note}"


def test_certificate_printings_filter_by_kind_staff_dates_and_retiree(county, trail, prints):
    def listed(**filters):
        return [(row.kind, row.pk) for row in audit_log_page(filters=AuditLogFilters(**filters)).rows]

    first, reprint, other = (printing.pk for printing in prints)
    assert listed(kind="certificate_print") == [
        ("certificate_print", other),
        ("certificate_print", reprint),
        ("certificate_print", first),
    ]
    assert listed(kind="certificate_print", staff_id=county.admin.pk) == [("certificate_print", reprint)]
    assert listed(kind="certificate_print", date_to=datetime.date(2026, 5, 7)) == [
        ("certificate_print", first)
    ]
    assert listed(kind="certificate_print", retiree="王德") == [("certificate_print", other)]
    assert listed(kind="certificate_print", retiree=county.retiree_a1.id_number) == [
        ("certificate_print", reprint),
        ("certificate_print", first),
    ]
    assert listed(kind="certificate_print", retiree="赵") == []


def test_certificate_printings_page_by_keyset_with_the_other_sources(county, trail, prints):
    every = [(row.kind, row.pk) for row in audit_log_page(filters=AuditLogFilters(), page_size=100).rows]
    assert len(every) == 10

    seen: list[tuple[str, int]] = []
    cursor = ""
    while True:
        page = audit_log_page(filters=AuditLogFilters(), cursor=cursor, page_size=1)
        seen += [(row.kind, row.pk) for row in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == every
    streamed = [(row.kind, row.pk) for row in audit_log_rows(filters=AuditLogFilters(), limit=100, chunk=1)]
    assert streamed == every


def test_the_page_and_the_file_show_certificate_printings_masked(client, county, trail, prints):
    client.force_login(county.auditor)

    html = client.get(reverse("audit-log"), {"kind": "certificate_print"}).content.decode()
    assert html.count('<tr data-kind="certificate_print"') == 3
    assert '<option value="certificate_print" selected>打印待遇证</option>' in html
    assert county.retiree_a1.masked_id_number in html and county.retiree_a1.id_number not in html

    response = client.get(reverse("audit-log-export"), {"kind": "certificate_print"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert [row[:6] for row in rows[1:]] == [
        (
            "2026-05-08 09:00:00",
            "打印待遇证",
            "c",
            "打印待遇证",
            f"待遇证号 C{county.retiree_b1.pk:06d}(页面)",
            f"王德胜 {county.retiree_b1.masked_id_number}",
        ),
        (
            "2026-05-08 09:00:00",
            "打印待遇证",
            "a",
            "打印待遇证",
            f"待遇证号 C{county.retiree_a1.pk:06d}(接口)",
            f"张建国 {county.retiree_a1.masked_id_number}",
        ),
        (
            "2026-05-04 09:00:00",
            "打印待遇证",
            "c",
            "打印待遇证",
            f"待遇证号 C{county.retiree_a1.pk:06d}(页面)",
            f"张建国 {county.retiree_a1.masked_id_number}",
        ),
    ]
