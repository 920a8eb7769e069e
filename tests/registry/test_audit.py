"""The audit tab: who changed what in a retiree's file, from pghistory's events, full-number viewings and
change requests; newest first, paginated, for the roles that read the trail."""

import datetime
from zoneinfo import ZoneInfo

import pghistory
import pytest
import time_machine
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from pghistory.middleware import HistoryMiddleware

from registry.models import ChangeRequest, Retiree, SensitiveView
from registry.selectors import retiree_audit
from registry.services import retiree_change_status, sensitive_view_record
from tests.factories import BankAccountFactory, make_id_number

pytestmark = pytest.mark.django_db

EARLY = datetime.datetime(2026, 5, 6, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
LATER = datetime.datetime(2026, 5, 7, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def named(county):
    county.clerk.last_name, county.clerk.first_name = "王", "经办"
    county.clerk.save()
    county.reviewer.last_name, county.reviewer.first_name = "李", "复核"
    county.reviewer.save()
    county.auditor.last_name, county.auditor.first_name = "赵", "审计"
    county.auditor.save()
    return county


def through_a_request(staff, path, change):
    """Run `change` inside a request the way HistoryMiddleware wraps every view (user pk and path)."""
    request = RequestFactory().post(path)
    request.user = staff

    def view(request):
        change()
        return HttpResponse()

    HistoryMiddleware(view)(request)


def audit_html(client, staff, retiree, **params):
    client.force_login(staff)
    return client.get(reverse("retiree-audit", args=[retiree.pk]), params, HTTP_HX_REQUEST="true")


def entries(retiree, page_size=100):
    return retiree_audit(retiree=retiree, page_size=page_size).entries


def test_the_middleware_stores_the_acting_users_pk_and_the_path(named):
    # The audit tab reads exactly this: pghistory.middleware.HistoryMiddleware's {"user": pk, "url": path}.
    through_a_request(
        named.clerk,
        "/changes/7/",
        lambda: Retiree.objects.filter(pk=named.retiree_a1.pk).update(phone="13900000000"),
    )

    event = named.retiree_a1.events.get(pgh_label="update")
    assert event.pgh_context.metadata == {"user": named.clerk.pk, "url": "/changes/7/"}


def test_a_change_through_a_service_shows_who_and_old_to_new(client, named):
    a1 = named.retiree_a1
    through_a_request(
        named.clerk,
        "/retirees/1/status/",
        lambda: retiree_change_status(
            retiree=a1,
            to_status=Retiree.Status.SUSPENDED,
            effective_date=datetime.date(2026, 8, 1),
            reason="未参加2026年度资格认证",
            by=named.clerk,
        ),
    )

    retiree_update = next(e for e in entries(a1) if e.subject == "退休人员" and e.action == "修改")
    assert (retiree_update.who, retiree_update.url) == ("王经办", "/retirees/1/status/")
    assert [(c.label, c.old, c.new) for c in retiree_update.changes] == [("状态", "正常发放", "暂停发放")]
    status_insert = next(e for e in entries(a1) if e.subject == "状态变更")
    assert (status_insert.who, status_insert.action) == ("王经办", "新增")
    assert ("原因", None, "未参加2026年度资格认证") in [
        (c.label, c.old, c.new) for c in status_insert.changes
    ]

    response = audit_html(client, named.auditor, a1)

    content = response.content.decode()
    assert response.status_code == 200
    assert "王经办" in content
    assert '<span class="audit-old">正常发放</span>' in content
    assert '<span class="audit-new">暂停发放</span>' in content


def test_events_without_a_request_are_the_systems(named):
    # The county fixture registered the retiree outside any request (as seed and import jobs do).
    [registration] = [e for e in entries(named.retiree_a1) if e.action == "新增" and e.subject == "退休人员"]

    assert registration.who == "系统"
    assert ("姓名", None, "张建国") in [(c.label, c.old, c.new) for c in registration.changes]
    assert ("所属社区", None, "东街社区") in [(c.label, c.old, c.new) for c in registration.changes]


def test_sensitive_values_are_masked_in_the_trail(client, named):
    a1 = named.retiree_a1
    old_id = a1.id_number
    new_id = make_id_number(datetime.date(1958, 3, 14))
    with pghistory.context(user=named.clerk.pk):
        Retiree.objects.filter(pk=a1.pk).update(id_number=new_id)
        BankAccountFactory(retiree=a1, account_number="6221000000000022")

    id_change = next(e for e in entries(a1) if e.action == "修改")
    account = next(e for e in entries(a1) if e.subject == "银行账户")
    content = audit_html(client, named.auditor, a1).content.decode()

    assert [(c.label, c.old, c.new) for c in id_change.changes] == [
        ("身份证号码", old_id[:6] + "********" + old_id[-4:], new_id[:6] + "********" + new_id[-4:])
    ]
    assert ("账号/存折号", None, "6221********0022") in [(c.label, c.old, c.new) for c in account.changes]
    assert ("银行", None, "中国邮政储蓄银行") in [(c.label, c.old, c.new) for c in account.changes]
    for number in (old_id, new_id, "6221000000000022"):
        assert number not in content


def test_foreign_keys_are_named_not_numbered(named):
    with pghistory.context(user=named.clerk.pk):
        Retiree.objects.filter(pk=named.retiree_a1.pk).update(community=named.community_a2)

    move = next(e for e in entries(named.retiree_a1) if e.action == "修改")

    assert [(c.label, c.old, c.new) for c in move.changes] == [("所属社区", "东街社区", "西街社区")]


def test_full_number_viewings_are_listed_newest_first(client, named):
    a1 = named.retiree_a1
    BankAccountFactory(retiree=a1)
    with time_machine.travel(EARLY, tick=False):
        sensitive_view_record(retiree=a1, field="id_number", by=named.clerk)
    with time_machine.travel(LATER, tick=False):
        sensitive_view_record(retiree=a1, field="account_number", by=named.auditor)

    viewings = [(e.at, e.who, e.action, e.note) for e in entries(a1) if e.subject == "敏感信息查看"]
    content = audit_html(client, named.reviewer, a1).content.decode()

    assert viewings == [
        (LATER, "赵审计", "查看完整号码", "银行账号"),
        (EARLY, "王经办", "查看完整号码", "身份证号码"),
    ]
    assert "2026-05-07 15:00:00" in content and "2026-05-06 09:30:00" in content


def test_change_requests_show_who_asked_and_who_decided(named):
    a1 = named.retiree_a1
    with time_machine.travel(EARLY, tick=False):
        request = ChangeRequest.objects.create(
            retiree=a1,
            field=ChangeRequest.Field.BANK_ACCOUNT,
            old_value={"account_number": "6217000000000011"},
            new_value={"account_number": "6221000000000022"},
            reason="换卡",
            document="changes/2026/05/card.pdf",
            requested_by=named.clerk,
        )
    ChangeRequest.objects.filter(pk=request.pk).update(
        status=ChangeRequest.Status.REJECTED,
        decided_by=named.reviewer,
        decided_at=LATER,
        decision_comment="材料不清",
    )

    trail = [e for e in entries(a1) if e.subject == "信息变更申请"]

    assert [(e.at, e.who, e.action, e.note) for e in trail] == [
        (LATER, "李复核", "驳回", "材料不清"),
        (EARLY, "王经办", "提交申请", "换卡"),
    ]
    assert [(c.label, c.old, c.new) for c in trail[1].changes] == [
        ("银行账户", "account_number: 6217********0011", "account_number: 6221********0022")
    ]


@pytest.mark.parametrize(
    ("persona", "status"), [("auditor", 200), ("clerk", 200), ("reviewer", 200), ("admin", 200)]
)
def test_the_roles_that_read_the_trail_get_it(client, named, persona, status):
    response = audit_html(client, named.staff_by_role()[persona], named.retiree_a1)

    assert response.status_code == status
    assert 'id="audit-table"' in response.content.decode()


@pytest.mark.parametrize("persona", ["officer_a", "station_a1", "officer_b"])
def test_township_staff_get_403_from_the_audit_url(client, named, persona):
    response = audit_html(client, named.staff_by_role()[persona], named.retiree_a1)

    assert response.status_code == 403
    assert "张建国" not in response.content.decode()


def test_an_unknown_retiree_is_404_for_the_auditor(client, named):
    client.force_login(named.auditor)

    response = client.get(reverse("retiree-audit", args=[named.retiree_b1.pk + 1000]))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, named):
    response = client.get(reverse("retiree-audit", args=[named.retiree_a1.pk]))

    assert response.status_code == 302


def test_more_pages_until_the_end_each_entry_once(client, named, settings):
    settings.RETIREE_AUDIT_PAGE_SIZE = 3
    a1 = named.retiree_a1
    with pghistory.context(user=named.clerk.pk):
        for n in range(3):
            Retiree.objects.filter(pk=a1.pk).update(phone=f"1390000000{n}")
    for day in range(1, 5):
        with time_machine.travel(EARLY + datetime.timedelta(days=day), tick=False):
            SensitiveView.objects.create(staff=named.auditor, retiree=a1, field="id_number")
    everything = entries(a1)
    assert len(everything) == 8  # registration, three phone changes, four viewings

    seen = []
    cursor = ""
    pages = 0
    while True:
        page = retiree_audit(retiree=a1, cursor=cursor, page_size=3)
        seen.extend(page.entries)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert pages == 3
    assert seen == everything
    assert [e.at for e in seen] == sorted((e.at for e in seen), reverse=True)

    next_cursor = retiree_audit(retiree=a1, page_size=3).next_cursor
    first = audit_html(client, named.auditor, a1).content.decode()
    second = audit_html(client, named.auditor, a1, cursor=next_cursor).content.decode()
    last = audit_html(client, named.auditor, a1, cursor="4.4.0.0").content.decode()
    audit_url = reverse("retiree-audit", args=[a1.pk])
    assert first.count('class="audit-entry"') == 3 and f'hx-get="{audit_url}?cursor={next_cursor}"' in first
    assert 'id="audit-table"' not in second and second.count('class="audit-entry"') == 3
    assert last.count('class="audit-entry"') == 0 and "更多" not in last


def test_a_malformed_cursor_starts_from_the_top(named):
    first = retiree_audit(retiree=named.retiree_a1, page_size=5)

    assert retiree_audit(retiree=named.retiree_a1, cursor="x.1", page_size=5) == first
