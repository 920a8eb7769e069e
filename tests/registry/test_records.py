"""The record page: each tab holds the retiree's data, numbers masked, buttons only for the roles that may."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from registry.models import (
    Agent,
    ArrearsItem,
    Bank,
    ChangeRequest,
    ManagementFeeReceipt,
    PensionRate,
    Recovery,
    Retiree,
)
from registry.months import PensionMonth
from registry.services import retiree_change_status
from tests.factories import (
    BankAccountFactory,
    BankFactory,
    EmployerFactory,
    PensionRateFactory,
    RetireeFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 6, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
AGENT_ID = make_id_number(datetime.date(1985, 6, 1))
OLD_AGENT_ID = make_id_number(datetime.date(1982, 2, 3), male=False)


@pytest.fixture
def record(county):
    """Retiree A1's whole file, everything recorded at NOW."""
    a1 = county.retiree_a1
    county.clerk.last_name, county.clerk.first_name = "王", "经办"
    county.clerk.save()
    county.reviewer.last_name, county.reviewer.first_name = "李", "复核"
    county.reviewer.save()
    a1.employer = EmployerFactory(name="示范机械厂")
    a1.work_start_date = datetime.date(1976, 9, 1)
    a1.contribution_months = 418
    a1.certificate_number = "3607212018000123"
    a1.phone = "13907970001"
    a1.address = "城关镇东街12号"
    a1.id_number_original = a1.id_number[:6] + a1.id_number[8:17]
    a1.save()
    psbc = BankFactory(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT)
    ccb = BankFactory(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY)
    with time_machine.travel(NOW, tick=False):
        BankAccountFactory(
            retiree=a1,
            bank=ccb,
            account_number="6217000000000011",
            is_current=False,
            valid_until=datetime.date(2024, 12, 31),
        )
        BankAccountFactory(
            retiree=a1,
            bank=psbc,
            account_number="6221000000000022",
            valid_from=datetime.date(2025, 1, 1),
            created_by=county.clerk,
        )
        PensionRateFactory(retiree=a1, amount=Decimal("2650.00"), effective_month=PensionMonth(2018, 4))
        PensionRateFactory(
            retiree=a1,
            amount=Decimal("2712.35"),
            effective_month=PensionMonth(2026, 1),
            reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
            note="2026年调待",
            created_by=county.clerk,
        )
        retiree_change_status(
            retiree=a1,
            to_status=Retiree.Status.SUSPENDED,
            effective_date=datetime.date(2025, 9, 1),
            reason="未按期认证",
            by=county.clerk,
        )
        Agent.objects.create(
            retiree=a1,
            name="张小红",
            id_number=OLD_AGENT_ID,
            relation="女儿",
            is_current=False,
            valid_from=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2024, 12, 31),
        )
        Agent.objects.create(
            retiree=a1,
            name="张小军",
            id_number=AGENT_ID,
            relation="儿子",
            phone="13907970002",
            valid_from=datetime.date(2025, 3, 1),
        )
        ManagementFeeReceipt.objects.create(
            retiree=a1,
            amount=Decimal("2550.00"),
            receipt_number="GLF2018-0007",
            paid_on=datetime.date(2018, 4, 20),
            received_by=county.clerk,
        )
        approved = ChangeRequest.objects.create(
            retiree=a1,
            field=ChangeRequest.Field.BANK_ACCOUNT,
            old_value={"bank": "中国建设银行", "account_number": "6217000000000011"},
            new_value={"bank": "中国邮政储蓄银行", "account_number": "6221000000000022"},
            reason="换卡",
            document="changes/2026/05/card.pdf",
            requested_by=county.clerk,
            status=ChangeRequest.Status.APPROVED,
            decided_by=county.reviewer,
            decided_at=NOW,
        )
        pending = ChangeRequest.objects.create(
            retiree=a1,
            field=ChangeRequest.Field.NAME,
            old_value="张建国",
            new_value="张健国",
            reason="同音字更正",
            document="changes/2026/05/name.pdf",
            requested_by=county.clerk,
        )
        ArrearsItem.objects.create(
            retiree=a1,
            month=PensionMonth(2026, 1),
            amount=Decimal("62.35"),
            reason=ArrearsItem.Reason.RATE_CHANGE,
            note="调待补差",
            created_by=county.clerk,
        )
        Recovery.objects.create(
            retiree=a1,
            amount=Decimal("120.50"),
            from_month=PensionMonth(2025, 10),
            to_month=PensionMonth(2025, 11),
            reason=Recovery.Reason.OTHER,
            note="重复发放",
            created_by=county.clerk,
        )
    county.approved_change, county.pending_change = approved, pending
    return county


def page_for(client, staff, retiree):
    client.force_login(staff)
    response = client.get(reverse("retiree-detail", args=[retiree.pk]))
    assert response.status_code == 200
    return response.content.decode()


def pane(content, key):
    """The HTML of one tab pane."""
    match = re.search(
        rf'<div class="tab-pane[^"]*" id="pane-{key}".*?(?=<div class="tab-pane|\Z)', content, re.S
    )
    assert match, f"no pane {key}"
    return match.group(0)


def test_the_identity_tab(client, record):
    a1 = record.retiree_a1

    identity = pane(page_for(client, record.officer_a, a1), "identity")

    assert "张建国" in identity
    assert a1.masked_id_number in identity
    assert a1.id_number_original[:6] + "*****" + a1.id_number_original[-4:] in identity
    assert "1958-03-14" in identity
    assert "3607212018000123" in identity
    assert "13907970001" in identity
    assert "城关镇东街12号" in identity


def test_a_photo_is_shown_from_the_photo_url_only_when_there_is_one(client, record):
    a1 = record.retiree_a1
    without = page_for(client, record.clerk, a1)
    Retiree.objects.filter(pk=a1.pk).update(photo="photos/2026/a1.jpg")

    with_photo = page_for(client, record.clerk, a1)

    assert "record-photo" not in without
    assert f'src="/retirees/{a1.pk}/photo/"' in with_photo


def test_the_residence_tab_local_and_remote(client, record):
    Retiree.objects.filter(pk=record.retiree_b1.pk).update(
        residence=Retiree.Residence.REMOTE,
        remote_province="广东省",
        remote_city="深圳市",
        remote_address="南山区某路1号",
    )

    local = pane(page_for(client, record.officer_a, record.retiree_a1), "residence")
    remote = pane(page_for(client, record.officer_b, record.retiree_b1), "residence")

    assert "城关镇" in local and "东街社区" in local and "本地居住" in local and "城关镇东街12号" in local
    assert "梅林镇" in remote and "梅林村" in remote and "异地居住" in remote
    assert "广东省深圳市 南山区某路1号" in remote


def test_the_employer_tab(client, record):
    employer = pane(page_for(client, record.officer_a, record.retiree_a1), "employer")

    assert "示范机械厂" in employer
    assert "1976-09-01" in employer
    assert "2018-03-31" in employer
    assert "34.8 年(418 个月)" in employer
    assert "GLF2018-0007" in employer and "¥2,550.00" in employer and "王经办" in employer


def test_the_bank_tab_masks_the_current_account_and_the_history(client, record):
    bank = pane(page_for(client, record.clerk, record.retiree_a1), "bank")

    assert "中国邮政储蓄银行" in bank and "系统直发" in bank
    assert bank.count("6221********0022") == 2  # current, and its row in the history
    assert "6217********0011" in bank
    assert "2024-12-31" in bank
    assert "6221000000000022" not in bank and "6217000000000011" not in bank


def test_the_agent_tab_lists_current_and_past_agents_masked(client, record):
    agents = pane(page_for(client, record.clerk, record.retiree_a1), "agents")

    assert "张小军" in agents and "儿子" in agents and "有效" in agents
    assert "张小红" in agents and "女儿" in agents and "2020-01-01 ~ 2024-12-31" in agents
    assert AGENT_ID[:6] + "********" + AGENT_ID[-4:] in agents
    assert AGENT_ID not in agents and OLD_AGENT_ID not in agents


def test_the_rate_tab_shows_every_rate_with_reason_and_who(client, record):
    rates = pane(page_for(client, record.officer_a, record.retiree_a1), "rates")

    assert rates.index("2026-01") < rates.index("2018-04")
    assert "¥2,712.35" in rates and "¥2,650.00" in rates
    assert "年度调待" in rates and "初次核定" in rates and "2026年调待" in rates
    assert "王经办" in rates and "系统" in rates


def test_the_status_tab(client, record):
    status = pane(page_for(client, record.officer_a, record.retiree_a1), "status")

    assert "正常发放" in status and "暂停发放" in status
    assert "2025-09-01" in status and "未按期认证" in status and "王经办" in status


def test_the_change_request_tab_lists_every_request_masked_and_linked(client, record):
    changes = pane(page_for(client, record.officer_a, record.retiree_a1), "changes")

    approved, pending = record.approved_change, record.pending_change
    assert f'href="{reverse("change-request-detail", args=[approved.pk])}"' in changes
    assert f'href="{reverse("change-request-detail", args=[pending.pk])}"' in changes
    assert "bank: 中国建设银行;account_number: 6217********0011" in changes
    assert "bank: 中国邮政储蓄银行;account_number: 6221********0022" in changes
    assert "6217000000000011" not in changes
    assert "张建国" in changes and "张健国" in changes
    assert "已批准" in changes and "待审核" in changes
    assert "王经办" in changes and "李复核" in changes
    assert changes.index("姓名") < changes.index("银行账户")  # newest first


def test_the_money_tab_lists_arrears_and_recoveries(client, record):
    money = pane(page_for(client, record.officer_a, record.retiree_a1), "money")

    assert "2026-01" in money and "¥62.35" in money and "调整标准补差" in money and "调待补差" in money
    assert "2025-10 ~ 2025-11" in money and "¥120.50" in money and "待追回" in money and "重复发放" in money


@pytest.mark.parametrize("persona", ["admin", "clerk", "reviewer", "auditor", "officer_a", "station_a1"])
def test_no_full_number_appears_anywhere_on_the_page(client, record, persona):
    content = page_for(client, record.staff_by_role()[persona], record.retiree_a1)

    for number in (
        record.retiree_a1.id_number,
        "6221000000000022",
        "6217000000000011",
        AGENT_ID,
        OLD_AGENT_ID,
    ):
        assert number not in content
    assert record.retiree_a1.id_number_original not in content


@pytest.mark.parametrize(
    ("persona", "sees_buttons"),
    [("clerk", True), ("admin", True), ("auditor", True), ("reviewer", True), ("officer_a", False)],
)
def test_the_reveal_buttons_only_for_roles_that_may_see_full_numbers(client, record, persona, sees_buttons):
    content = page_for(client, record.staff_by_role()[persona], record.retiree_a1)

    a1 = record.retiree_a1
    id_button = f'hx-post="{reverse("retiree-reveal", args=[a1.pk, "id_number"])}"'
    account_button = f'hx-post="{reverse("retiree-reveal", args=[a1.pk, "account_number"])}"'
    assert (id_button in content, account_button in content) == (sees_buttons, sees_buttons)


def test_no_account_reveal_button_without_an_account(client, record):
    content = page_for(client, record.clerk, record.retiree_a2)

    assert reverse("retiree-reveal", args=[record.retiree_a2.pk, "account_number"]) not in content
    assert "尚未登记发放账户。" in content


def test_change_buttons_for_the_clerk_link_to_the_request_form_per_field(client, record):
    content = page_for(client, record.clerk, record.retiree_a1)

    create = reverse("change-request-create", args=[record.retiree_a1.pk])
    for field in (
        "id_number",
        "birth_date",
        "contact",
        "residence",
        "work_start_date",
        "bank_account",
        "agent",
    ):
        assert f'href="{create}?field={field}"' in content
    # A pending request on the name blocks a second one: no link, a notice instead.
    assert f'href="{create}?field=name"' not in content
    assert "姓名变更待审核" in content


@pytest.mark.parametrize("persona", ["officer_a", "auditor", "reviewer"])
def test_no_change_buttons_for_roles_that_cannot_request(client, record, persona):
    content = page_for(client, record.staff_by_role()[persona], record.retiree_a1)

    assert reverse("change-request-create", args=[record.retiree_a1.pk]) not in content


@pytest.mark.parametrize(
    ("persona", "has_tab"),
    [
        ("auditor", True),
        ("clerk", True),
        ("reviewer", True),
        ("admin", True),
        ("officer_a", False),
        ("station_a1", False),
    ],
)
def test_the_audit_tab_only_for_roles_that_read_the_trail(client, record, persona, has_tab):
    content = page_for(client, record.staff_by_role()[persona], record.retiree_a1)

    audit_url = reverse("retiree-audit", args=[record.retiree_a1.pk])
    assert ('id="tab-audit"' in content, f'hx-get="{audit_url}"' in content) == (has_tab, has_tab)


def test_every_tab_is_on_the_page(client, record):
    content = page_for(client, record.clerk, record.retiree_a1)

    tabs = re.findall(r'id="tab-(\w+)"', content)
    assert tabs == [
        "identity", "residence", "employer", "bank", "agents", "rates", "status", "changes", "money", "death",
        "flags", "audit",
    ]  # fmt: skip


# Session, user, unit, the retiree with its places and employer, one query per tab's history (8), and what
# the site layout itself asks (the change-request badge in the menu). The officer adds the ids of the
# communities of their township.
RECORD_PAGE_QUERIES = 14


def queries_for_the_page(client, staff, retiree, django_assert_max_num_queries):
    client.force_login(staff)
    with django_assert_max_num_queries(RECORD_PAGE_QUERIES) as captured:
        assert client.get(reverse("retiree-detail", args=[retiree.pk])).status_code == 200
    return len(captured)


def test_the_record_page_costs_a_fixed_number_of_queries(client, record, django_assert_max_num_queries):
    a1 = record.retiree_a1
    before = queries_for_the_page(client, record.clerk, a1, django_assert_max_num_queries)
    for n in range(5):
        BankAccountFactory(retiree=a1, is_current=False, valid_until=datetime.date(2017, 1, 1))
        PensionRateFactory(retiree=a1, effective_month=PensionMonth(2010 + n, 1))
        ArrearsItem.objects.create(
            retiree=a1,
            month=PensionMonth(2019, n + 1),
            amount=Decimal("1.00"),
            reason="rate_change",
            created_by=record.clerk,
        )
        ChangeRequest.objects.create(
            retiree=a1,
            field="contact",
            old_value={"phone": "1"},
            new_value={"phone": "2"},
            reason="r",
            document="d.pdf",
            requested_by=record.clerk,
            status="rejected",
            decided_by=record.reviewer,
            decided_at=NOW,
        )
    RetireeFactory.create_batch(3, community=record.community_a1)

    assert queries_for_the_page(client, record.clerk, a1, django_assert_max_num_queries) == before


def test_the_township_officer_page_also_stays_bounded(client, record, django_assert_max_num_queries):
    queries_for_the_page(client, record.officer_a, record.retiree_a1, django_assert_max_num_queries)
