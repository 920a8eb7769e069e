"""The approvals inbox (registry.approvals): every waiting approval of every app for the person who may
approve it, never what they prepared, within their scope; the same list on the page, in the API, in the menu
badge and on the home card; a new kind plugs in without touching the inbox."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from pensions.models import PayoutPlan, WriteOffRequest
from pensions.services import plan_draft, plan_submit, write_off_request
from registry import approvals
from registry.approvals import ApprovalItem, ApprovalKind
from registry.models import ChangeRequest, Staff
from registry.months import PensionMonth
from tests.conftest import County
from tests.factories import BankAccountFactory, BankFactory, PensionRateFactory, StaffFactory
from tests.pensions.conftest import recovery
from tests.registry.test_change_services import request_change

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T_PLAN = datetime.datetime(2026, 5, 6, 10, 0, tzinfo=SH)
T_CHANGE_A = datetime.datetime(2026, 5, 6, 11, 0, tzinfo=SH)
T_CHANGE_B = datetime.datetime(2026, 5, 6, 11, 30, tzinfo=SH)
T_WRITE_OFF = datetime.datetime(2026, 5, 6, 12, 0, tzinfo=SH)
T_LOOK = datetime.datetime(2026, 5, 6, 14, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def waiting(county: County) -> dict[str, object]:
    """The admin drafts May's plan and the clerk submits it; the clerk asks to correct 张建国's name (township
    A), the admin 王德胜's (township B); the admin asks to write off 300.00 the clerk recorded for 李秀兰
    (township A)."""
    bank = BankFactory.create()
    for retiree in (county.retiree_a1, county.retiree_a2, county.retiree_b1):
        PensionRateFactory.create(retiree=retiree, amount=Decimal("2650.00"))
        BankAccountFactory.create(retiree=retiree, bank=bank)
    with time_machine.travel(T_PLAN, tick=False):
        plan = plan_draft(month=PensionMonth(2026, 5), by=county.admin)
        plan_submit(plan=plan, by=county.clerk)
    with time_machine.travel(T_CHANGE_A, tick=False):
        change_a = request_change(county, "name", {"name": "张健国"})
    with time_machine.travel(T_CHANGE_B, tick=False):
        change_b = request_change(
            county, "name", {"name": "王得胜"}, retiree=county.retiree_b1, by=county.admin
        )
    owed = recovery(county.retiree_a2, "300.00", county.clerk)
    with time_machine.travel(T_WRITE_OFF, tick=False):
        write_off = write_off_request(recovery=owed, reason="家属无力偿还", by=county.admin)
    return {"plan": plan, "change_a": change_a, "change_b": change_b, "write_off": write_off}


def plan_item(county: County, plan: PayoutPlan) -> ApprovalItem:
    return ApprovalItem(
        kind="payout_plan",
        kind_label="发放计划",
        title="2026-05 发放计划 · 3 笔 · 实发 ¥7,950.00",
        since=T_PLAN,
        prepared_by=f"{county.clerk.display_name}(生成:{county.admin.display_name})",
        url=f"/pensions/plans/{plan.pk}/",
    )


def change_item(change: ChangeRequest, name: str, by: Staff, since: datetime.datetime) -> ApprovalItem:
    return ApprovalItem(
        kind="change_request",
        kind_label="信息变更",
        title=f"{name} · 姓名变更",
        since=since,
        prepared_by=by.display_name,
        url=f"/changes/{change.pk}/",
    )


def write_off_item(county: County, asked: WriteOffRequest) -> ApprovalItem:
    return ApprovalItem(
        kind="write_off",
        kind_label="追回核销",
        title="李秀兰 追回项核销 · 申请时余额 ¥300.00",
        since=T_WRITE_OFF,
        prepared_by=county.admin.display_name,
        url=f"/pensions/recoveries/{asked.recovery_id}/",
    )


def test_the_reviewer_sees_every_waiting_approval_oldest_first(county, waiting):
    expected = [
        plan_item(county, waiting["plan"]),
        change_item(waiting["change_a"], "张建国", county.clerk, T_CHANGE_A),
        change_item(waiting["change_b"], "王德胜", county.admin, T_CHANGE_B),
        write_off_item(county, waiting["write_off"]),
    ]
    assert approvals.waiting_items(county.reviewer) == expected
    assert approvals.waiting_count(county.reviewer) == 4
    sections = approvals.inbox(county.reviewer)
    assert (
        [(section.kind.key, section.count, section.items) for section in sections]
        == [
            ("payout_plan", 1, expected[:1]),
            ("change_request", 2, expected[1:3]),
            ("one_off_batch", 0, []),  # no one-off batch is submitted here (tests/pensions/test_one_off.py)
            ("death_registration", 0, []),  # benefits' kind (docs/deaths.md): nothing recorded here
            ("write_off", 1, expected[3:]),
            ("survivor_claim", 0, []),  # benefits: none submitted here (tests/benefits/test_claims.py)
            ("annual_adjustment", 0, []),  # none submitted here (tests/pensions/test_adjustment_run_views.py)
        ]
    )


def test_nothing_the_person_prepared_waits_for_them(county, waiting):
    # The admin drafted the plan, asked for 王德胜's change and for the write-off: only the clerk's request is
    # theirs to decide.
    assert approvals.waiting_items(county.admin) == [
        change_item(waiting["change_a"], "张建国", county.clerk, T_CHANGE_A)
    ]
    assert approvals.waiting_count(county.admin) == 1


@pytest.mark.parametrize("persona", ["clerk", "auditor", "officer_a", "officer_b", "station_a1"])
def test_who_approves_nothing_has_no_inbox(client, county, waiting, persona, django_assert_num_queries):
    staff = county.staff_by_role()[persona]
    with django_assert_num_queries(0):
        assert (approvals.may_use_inbox(staff), approvals.waiting_count(staff)) == (False, 0)
        assert approvals.waiting_items(staff) == []
    client.force_login(staff)
    assert client.get(reverse("approval-inbox")).status_code == 403
    assert 'id="nav-approvals"' not in client.get(reverse("home")).content.decode()
    api = APIClient()
    api.force_authenticate(staff)
    assert api.get("/api/approvals/").status_code == 403


def test_an_approver_sees_only_their_scope(county, waiting):
    # Reviewers sit at the county (staff_validate_role_unit); one placed at a township, as the factory allows,
    # shows that the inbox keeps to registry.access's scope rather than to the role.
    reviewer_a = StaffFactory.create(
        username="reviewer_a", role=Staff.Role.FINANCE_REVIEWER, org_unit=county.township_a
    )
    # 王德胜 lives in township B; the county-wide plan waits for every reviewer.
    assert approvals.waiting_items(reviewer_a) == [
        plan_item(county, waiting["plan"]),
        change_item(waiting["change_a"], "张建国", county.clerk, T_CHANGE_A),
        write_off_item(county, waiting["write_off"]),
    ]


def test_counts_are_one_query_per_kind_without_rows(county, waiting, django_assert_num_queries):
    # One query per kind the reviewer may approve (seven today: payout plans, information changes, one-off
    # batches, death registrations, write-offs, survivor claims, annual adjustment runs).
    kinds = len(approvals.kinds_for(county.reviewer))
    assert kinds == 7
    with django_assert_num_queries(kinds) as captured:
        assert approvals.waiting_count(county.reviewer) == 4
    assert all("COUNT(*)" in query["sql"] for query in captured.captured_queries)
    with django_assert_num_queries(kinds):
        assert len(approvals.waiting_items(county.reviewer)) == 4


def test_the_page_the_badge_and_the_home_card_show_the_same(client, county, waiting):
    client.force_login(county.reviewer)
    with time_machine.travel(T_LOOK, tick=False):
        page = client.get(reverse("approval-inbox")).content.decode()
        home = client.get(reverse("home")).content.decode()

    for url in (
        f"/pensions/plans/{waiting['plan'].pk}/",
        f"/changes/{waiting['change_a'].pk}/",
        f"/pensions/recoveries/{waiting['write_off'].recovery_id}/",
    ):
        assert url in page and url in home
    assert "2026-05 发放计划 · 3 笔 · 实发 ¥7,950.00" in page
    assert "李秀兰 追回项核销 · 申请时余额 ¥300.00" in page and 'id="inbox-write_off"' in page
    assert "2026-05-06 10:00" in page
    assert 'id="nav-approvals-count">4<' in page and 'id="nav-approvals-count">4<' in home
    assert 'id="home-approvals-count">4<' in home and 'id="panel-reviewer"' in home
    assert "目前没有待复核的事项" not in home and "上线后" not in home


def test_the_api_lists_the_same(county, waiting):
    api = APIClient()
    api.force_authenticate(county.reviewer)
    body = api.get("/api/approvals/").json()

    assert body["count"] == 4
    assert body["kinds"] == [
        {"key": "payout_plan", "name": "发放计划", "count": 1},
        {"key": "change_request", "name": "信息变更", "count": 2},
        {"key": "one_off_batch", "name": "一次性支付", "count": 0},
        {"key": "death_registration", "name": "死亡登记", "count": 0},
        {"key": "write_off", "name": "追回核销", "count": 1},
        {"key": "survivor_claim", "name": "丧葬抚恤待遇", "count": 0},
        {"key": "annual_adjustment", "name": "年度调待", "count": 0},
    ]
    recovery_url = f"/pensions/recoveries/{waiting['write_off'].recovery_id}/"
    assert [(item["kind"], item["url"], item["since"]) for item in body["items"]] == [
        ("payout_plan", f"/pensions/plans/{waiting['plan'].pk}/", "2026-05-06T10:00:00+08:00"),
        ("change_request", f"/changes/{waiting['change_a'].pk}/", "2026-05-06T11:00:00+08:00"),
        ("change_request", f"/changes/{waiting['change_b'].pk}/", "2026-05-06T11:30:00+08:00"),
        ("write_off", recovery_url, "2026-05-06T12:00:00+08:00"),
    ]
    assert body["items"][0]["prepared_by"] == f"{county.clerk.display_name}(生成:{county.admin.display_name})"


def test_a_decided_item_leaves_the_inbox(county, waiting):
    from pensions.services import plan_approve, write_off_request_approve
    from registry.services import change_request_approve

    plan_approve(plan=waiting["plan"], by=county.reviewer)
    with time_machine.travel(T_LOOK, tick=False):
        change_request_approve(change_request=waiting["change_a"], by=county.reviewer)
        write_off_request_approve(
            request=waiting["write_off"], by=county.reviewer, expected_balance=Decimal("300.00")
        )
    assert approvals.waiting_items(county.reviewer) == [
        change_item(waiting["change_b"], "王德胜", county.admin, T_CHANGE_B)
    ]
    assert approvals.waiting_count(county.admin) == 0


def test_a_new_kind_plugs_in_without_touching_the_inbox(client, county, waiting, monkeypatch):
    waiver = ApprovalItem(
        kind="fee_waiver",
        kind_label="管理费减免",
        title="某厂 · 减免 3 人",
        since=datetime.datetime(2026, 5, 1, 8, 0, tzinfo=SH),
        prepared_by="档案员",
        url="/archives/waivers/1/",
    )
    monkeypatch.setitem(
        approvals._KINDS,
        "fee_waiver",
        ApprovalKind(
            key="fee_waiver",
            label="管理费减免",
            may_approve=lambda user: user.role == Staff.Role.FINANCE_REVIEWER,
            count=lambda user: 1,
            items=lambda user, limit: [waiver],
            list_url=lambda: "/archives/waivers/",
            order=30,
        ),
    )
    assert approvals.waiting_count(county.reviewer) == 5
    assert approvals.waiting_items(county.reviewer)[0] == waiver
    client.force_login(county.reviewer)
    page = client.get(reverse("approval-inbox")).content.decode()
    assert "某厂 · 减免 3 人" in page and 'id="inbox-fee_waiver"' in page
    assert approvals.waiting_count(county.admin) == 1  # not the admin's kind


def test_a_plan_the_beat_drafted_waits_for_everyone_but_its_submitter(county):
    from pensions.tasks import draft_payout_plan

    bank = BankFactory.create()
    PensionRateFactory.create(retiree=county.retiree_a1, amount=Decimal("2650.00"))
    BankAccountFactory.create(retiree=county.retiree_a1, bank=bank)
    with time_machine.travel(T_PLAN, tick=False):
        plan = PayoutPlan.objects.get(pk=draft_payout_plan(202605))
        plan_submit(plan=plan, by=county.clerk)

    assert [item.url for item in approvals.waiting_items(county.admin)] == [f"/pensions/plans/{plan.pk}/"]
    prepared_by = approvals.waiting_items(county.reviewer)[0].prepared_by
    assert prepared_by == f"{county.clerk.display_name}(生成:系统)"
