"""Recoveries (追回): the balance (amount − deducted − refunded − written off), refunds recorded by a clerk,
the balance written off when a clerk asks (申请核销) and a reviewer who is neither the requester nor whoever
recorded the recovery approves; the page and the API by role."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from pensions.errors import PlanError
from pensions.models import PayoutLine, RecoveryDeduction, RecoveryRefund, RecoveryWriteOff, WriteOffRequest
from pensions.selectors import recovery_balance, recovery_history, recovery_list
from pensions.services import (
    plan_draft,
    recovery_refund_record,
    write_off_request,
    write_off_request_approve,
    write_off_request_reject,
)
from registry.models import Recovery, Staff
from tests.clients import signed_in

from .conftest import NOV, M, recovery
from .payout_flow import approved_plan

pytestmark = pytest.mark.django_db
D = Decimal
SH = ZoneInfo("Asia/Shanghai")
T_REFUND = datetime.datetime(2026, 11, 8, 10, 0, tzinfo=SH)
T_REQUEST = datetime.datetime(2026, 11, 9, 9, 30, tzinfo=SH)
T_WRITE_OFF = datetime.datetime(2026, 11, 9, 11, 0, tzinfo=SH)
PAID_ON = datetime.date(2026, 11, 7)
DEC = M(2026, 12)


@pytest.fixture
def owed(county, enrol):
    """2650.00 a month, 2000.00 owed (recorded by the clerk); November approved deducts half: 1325.00."""
    retiree = enrol(name="赵红梅")
    item = recovery(retiree, "2000.00", county.clerk)
    approved_plan(county)
    item.refresh_from_db()
    return item


def written_off(
    item: Recovery, reason: str, *, requested_by: Staff, by: Staff, expected: Decimal | None = None
) -> RecoveryWriteOff:
    """The whole flow: `requested_by` asks at T_REQUEST, `by` approves at T_WRITE_OFF the balance shown."""
    with time_machine.travel(T_REQUEST, tick=False):
        asked = write_off_request(recovery=item, reason=reason, by=requested_by)
    balance = recovery_balance(recovery=item) if expected is None else expected
    with time_machine.travel(T_WRITE_OFF, tick=False):
        return write_off_request_approve(request=asked, by=by, expected_balance=balance)


def state(item: Recovery) -> tuple[str, Decimal, int, int]:
    item.refresh_from_db()
    return (
        item.status,
        recovery_balance(recovery=item),
        RecoveryRefund.objects.count(),
        RecoveryWriteOff.objects.count(),
    )


# Balance ----------------------------------------------------------------------------------------------------


def test_balance_is_amount_less_deductions_refunds_and_write_off(county, owed):
    assert recovery_balance(recovery=owed) == D("675.00")

    with time_machine.travel(T_REFUND, tick=False):
        recovery_refund_record(
            recovery=owed, amount=D("100.55"), reference="SK-001", paid_on=PAID_ON, by=county.clerk
        )
    write_off = written_off(owed, "家属无力偿还", requested_by=county.clerk, by=county.reviewer)

    assert write_off.amount == D("574.45")
    row = recovery_list(user=county.auditor).get(pk=owed.pk)
    assert (row.amount, row.deducted, row.refunded, row.written_off, row.balance) == (
        D("2000.00"),
        D("1325.00"),
        D("100.55"),
        D("574.45"),
        D("0.00"),
    )
    history = recovery_history(recovery=owed)
    assert [(str(item.month), item.amount) for item in history.deductions] == [("2026-11", D("1325.00"))]
    assert [(r.amount, r.reference, r.paid_on, r.by, r.at) for r in history.refunds] == [
        (D("100.55"), "SK-001", PAID_ON, county.clerk, T_REFUND)
    ]
    assert history.write_off == write_off


def test_list_is_scoped_and_filtered(county, owed, enrol):
    other = enrol(community=county.community_b1)
    after_death = Recovery.objects.create(
        retiree=other,
        amount=D("300.00"),
        from_month=NOV.number,
        to_month=NOV.number,
        reason=Recovery.Reason.AFTER_DEATH,
        created_by=county.clerk,
    )
    assert list(recovery_list(user=county.clerk)) == [owed, after_death]
    assert list(recovery_list(user=county.clerk, reason="after_death")) == [after_death]
    assert list(recovery_list(user=county.clerk, status="settled")) == []
    # scoped by the retirees one may see (the pages and the API also refuse township staff outright)
    assert list(recovery_list(user=county.officer_b)) == [after_death]


# Write-off --------------------------------------------------------------------------------------------------


def test_write_off_records_who_when_why_and_nothing_more_is_deducted(county, owed):
    with time_machine.travel(T_REQUEST, tick=False):
        asked = write_off_request(recovery=owed, reason="  本人已故,无遗产  ", by=county.clerk)
    asked.refresh_from_db()
    assert (
        asked.status,
        asked.reason,
        asked.balance_at_request,
        asked.requested_by,
        asked.requested_at,
        asked.recovery_created_by,
        asked.decided_by,
    ) == ("pending", "本人已故,无遗产", D("675.00"), county.clerk, T_REQUEST, county.clerk, None)
    # asking writes nothing off
    assert state(owed) == ("open", D("675.00"), 0, 0)

    with time_machine.travel(T_WRITE_OFF, tick=False):
        write_off = write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("675.00"))

    write_off.refresh_from_db()
    asked.refresh_from_db()
    assert (
        write_off.amount,
        write_off.reason,
        write_off.by,
        write_off.at,
        write_off.recovery_created_by,
        write_off.request,
    ) == (
        D("675.00"),
        "本人已故,无遗产",
        county.reviewer,
        T_WRITE_OFF,
        county.clerk,
        asked,
    )
    assert (asked.status, asked.decided_by, asked.decided_at, asked.decision_note) == (
        "approved",
        county.reviewer,
        T_WRITE_OFF,
        "",
    )
    assert state(owed) == ("written_off", D("0.00"), 0, 1)

    # When December is drafted, nothing more is deducted from it
    december = plan_draft(month=DEC, by=county.clerk)
    assert PayoutLine.objects.get(plan=december, retiree=owed.retiree).deduction == D("0.00")
    assert not RecoveryDeduction.objects.filter(line__plan=december).exists()
    assert state(owed) == ("written_off", D("0.00"), 0, 1)

    # and the write-off row cannot be changed
    with pytest.raises(Exception, match="append_only"), transaction.atomic():
        RecoveryWriteOff.objects.filter(pk=write_off.pk).update(reason="改")
    # nor decided a second time
    with pytest.raises(PlanError, match="已批准"):
        write_off_request_approve(request=asked, by=county.admin, expected_balance=D("0.00"))
    assert state(owed) == ("written_off", D("0.00"), 0, 1)


def pending_of(item: Recovery) -> list[tuple[str, int | None]]:
    return list(
        WriteOffRequest.objects.filter(recovery=item).order_by("id").values_list("status", "decided_by_id")
    )


def test_write_off_refusals_write_nothing(county, owed, enrol):
    asked = write_off_request(recovery=owed, reason="无力偿还", by=county.clerk)
    before = state(owed)

    # a clerk may not approve
    with pytest.raises(PermissionDenied):
        write_off_request_approve(request=asked, by=county.clerk, expected_balance=D("675.00"))
    # the balance the dialog showed must still be the balance
    with pytest.raises(PlanError) as stale:
        write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("2000.00"))
    assert stale.value.field == "expected_balance"
    assert state(owed) == before
    assert pending_of(owed) == [("pending", None)]

    # whoever recorded the recovery may not approve its write-off (the admin recorded this one), even when
    # someone else asked
    mine = recovery(enrol(), "50.00", county.admin)
    theirs = write_off_request(recovery=mine, reason="无力偿还", by=county.clerk)
    with pytest.raises(PlanError, match="自己登记"):
        write_off_request_approve(request=theirs, by=county.admin, expected_balance=D("50.00"))
    with pytest.raises(PlanError, match="自己登记"):
        write_off_request_reject(request=theirs, by=county.admin, note="不同意")
    # nor, were the service bypassed, would the database take it
    with pytest.raises(IntegrityError), transaction.atomic():
        RecoveryWriteOff.objects.create(
            recovery=mine,
            amount=D("50.00"),
            reason="x",
            recovery_created_by=county.admin,
            by=county.admin,
            at=T_WRITE_OFF,
        )
    with pytest.raises(IntegrityError, match="writeoffrequest_decider_is_not_creator"), transaction.atomic():
        WriteOffRequest.objects.filter(pk=theirs.pk).update(
            status="approved", decided_by=county.admin, decided_at=T_WRITE_OFF
        )
    mine.refresh_from_db()
    assert mine.status == "open"
    assert pending_of(mine) == [("pending", None)]

    # a recovery settled while the request waited has nothing to write off
    recovery_refund_record(
        recovery=owed, amount=D("675.00"), reference="SK-9", paid_on=PAID_ON, by=county.clerk
    )
    assert state(owed) == ("settled", D("0.00"), 1, 0)
    with pytest.raises(PlanError, match="已追回"):
        write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("0.00"))
    assert state(owed) == ("settled", D("0.00"), 1, 0)
    assert pending_of(owed) == [("pending", None)]
    assert not RecoveryWriteOff.objects.exists()


def test_the_requester_cannot_decide_their_own_request(county, owed):
    # The admin (who holds both roles) asks; the admin cannot approve or reject it, the reviewer can
    asked = write_off_request(recovery=owed, reason="无力偿还", by=county.admin)
    with pytest.raises(PlanError, match="自己提交"):
        write_off_request_approve(request=asked, by=county.admin, expected_balance=D("675.00"))
    with pytest.raises(PlanError, match="自己提交"):
        write_off_request_reject(request=asked, by=county.admin, note="撤回")
    with (
        pytest.raises(IntegrityError, match="writeoffrequest_decider_is_not_requester"),
        transaction.atomic(),
    ):
        WriteOffRequest.objects.filter(pk=asked.pk).update(
            status="rejected", decided_by=county.admin, decided_at=T_WRITE_OFF, decision_note="x"
        )
    assert state(owed) == ("open", D("675.00"), 0, 0)
    assert pending_of(owed) == [("pending", None)]

    write_off = write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("675.00"))
    assert (write_off.amount, write_off.by, write_off.request) == (D("675.00"), county.reviewer, asked)
    assert state(owed) == ("written_off", D("0.00"), 0, 1)
    assert pending_of(owed) == [("approved", county.reviewer.pk)]


def test_request_refusals_write_nothing(county, owed):
    # a reviewer does not ask (they decide); a reason is required
    with pytest.raises(PermissionDenied):
        write_off_request(recovery=owed, reason="无力偿还", by=county.reviewer)
    with pytest.raises(PlanError) as blank:
        write_off_request(recovery=owed, reason="   ", by=county.clerk)
    assert blank.value.field == "reason"
    with pytest.raises(PlanError, match="过长"):
        write_off_request(recovery=owed, reason="长" * 301, by=county.clerk)
    assert not WriteOffRequest.objects.exists()

    # one pending request per recovery, in the service and in the database
    write_off_request(recovery=owed, reason="无力偿还", by=county.clerk)
    with pytest.raises(PlanError, match="已有待审批"):
        write_off_request(recovery=owed, reason="再申请", by=county.admin)
    with pytest.raises(IntegrityError, match="writeoffrequest_one_pending"), transaction.atomic():
        WriteOffRequest.objects.create(
            recovery=owed,
            reason="x",
            balance_at_request=D("675.00"),
            recovery_created_by=county.clerk,
            requested_by=county.admin,
            requested_at=T_REQUEST,
        )
    assert pending_of(owed) == [("pending", None)]

    # a closed recovery cannot be asked for
    recovery_refund_record(
        recovery=owed, amount=D("675.00"), reference="SK-9", paid_on=PAID_ON, by=county.clerk
    )
    WriteOffRequest.objects.filter(recovery=owed).delete()
    with pytest.raises(PlanError, match="已追回"):
        write_off_request(recovery=owed, reason="无力偿还", by=county.clerk)
    assert not WriteOffRequest.objects.exists()


def test_a_rejected_request_leaves_the_recovery_open_and_may_be_asked_again(county, owed):
    asked = write_off_request(recovery=owed, reason="无力偿还", by=county.clerk)
    with pytest.raises(PlanError) as blank:
        write_off_request_reject(request=asked, by=county.reviewer, note="  ")
    assert blank.value.field == "note"
    assert pending_of(owed) == [("pending", None)]

    with time_machine.travel(T_WRITE_OFF, tick=False):
        rejected = write_off_request_reject(request=asked, by=county.reviewer, note="家属有偿还能力")
    assert (rejected.status, rejected.decided_by, rejected.decided_at, rejected.decision_note) == (
        "rejected",
        county.reviewer,
        T_WRITE_OFF,
        "家属有偿还能力",
    )
    assert state(owed) == ("open", D("675.00"), 0, 0)
    with pytest.raises(PlanError, match="已驳回"):
        write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("675.00"))
    # a rejection says why, in the database too
    with pytest.raises(IntegrityError, match="writeoffrequest_rejection_has_note"), transaction.atomic():
        WriteOffRequest.objects.filter(pk=asked.pk).update(decision_note="")

    again = write_off_request(recovery=owed, reason="补充了家属困难证明", by=county.clerk)
    write_off_request_approve(request=again, by=county.reviewer, expected_balance=D("675.00"))
    assert state(owed) == ("written_off", D("0.00"), 0, 1)
    assert pending_of(owed) == [("rejected", county.reviewer.pk), ("approved", county.reviewer.pk)]


def test_write_off_waits_for_a_plan_that_is_not_approved_yet(county, owed):
    # Given a newer recovery of 5000.00, and December's draft deducting 1325.00: the older one's 675.00
    # first, then 650.00 of the newer one
    big = recovery(owed.retiree, "5000.00", county.clerk)
    asked = write_off_request(recovery=big, reason="无力偿还", by=county.clerk)
    plan_draft(month=DEC, by=county.clerk)
    assert state(owed)[:2] == ("settled", D("0.00"))
    assert recovery_balance(recovery=big) == D("4350.00")

    # Then the newer one cannot be written off until December is approved: a regenerated draft would give
    # the 650.00 back, and the write-off would have missed it
    with pytest.raises(PlanError, match="2026-12"):
        write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("4350.00"))
    assert state(big) == ("open", D("4350.00"), 0, 0)
    assert pending_of(big) == [("pending", None)]


def test_the_inbox_lists_a_request_for_the_reviewer_and_not_for_who_prepared_it(county, owed, enrol):
    from registry import approvals

    with time_machine.travel(T_REQUEST, tick=False):
        asked = write_off_request(recovery=owed, reason="无力偿还", by=county.admin)
    mine = recovery(enrol(name="钱多多"), "80.00", county.admin)
    write_off_request(recovery=mine, reason="无力偿还", by=county.clerk)

    def listed(staff: Staff) -> list[tuple[str, str, str]]:
        return [
            (item.title, item.prepared_by, item.url)
            for item in approvals.waiting_items(staff)
            if item.kind == "write_off"
        ]

    detail = f"/pensions/recoveries/{owed.pk}/"
    mine_detail = f"/pensions/recoveries/{mine.pk}/"
    reviewer = listed(county.reviewer)
    assert reviewer == [
        ("赵红梅 追回项核销 · 申请时余额 ¥675.00", county.admin.display_name, detail),
        ("钱多多 追回项核销 · 申请时余额 ¥80.00", county.clerk.display_name, mine_detail),
    ]
    # the admin asked for one and recorded the other: neither waits for them
    assert listed(county.admin) == []
    # who approves nothing has no inbox
    assert not approvals.may_use_inbox(county.clerk)
    counts = {section.kind.key: section.count for section in approvals.inbox(county.reviewer)}
    assert counts["write_off"] == 2

    write_off_request_approve(request=asked, by=county.reviewer, expected_balance=D("675.00"))
    assert [title for title, _, _ in listed(county.reviewer)] == ["钱多多 追回项核销 · 申请时余额 ¥80.00"]


# Refunds ----------------------------------------------------------------------------------------------------


def test_refund_reduces_the_balance_and_settles_at_zero(county, owed):
    with time_machine.travel(T_REFUND, tick=False):
        refund = recovery_refund_record(
            recovery=owed, amount=D("600.00"), reference=" SK-001 ", paid_on=PAID_ON, by=county.clerk
        )
    assert (refund.reference, refund.by, refund.at) == ("SK-001", county.clerk, T_REFUND)
    assert state(owed) == ("open", D("75.00"), 1, 0)

    # December deducts only what is left
    december = plan_draft(month=DEC, by=county.clerk)
    assert PayoutLine.objects.get(plan=december, retiree=owed.retiree).deduction == D("75.00")
    assert state(owed) == ("settled", D("0.00"), 1, 0)

    # Regenerating December gives its 75.00 back first: open again, then deducted again
    plan_draft(month=DEC, by=county.clerk)
    assert state(owed) == ("settled", D("0.00"), 1, 0)
    assert RecoveryDeduction.objects.filter(recovery=owed).count() == 2


def test_refund_to_zero_settles(county, owed):
    recovery_refund_record(
        recovery=owed, amount=D("675.00"), reference="SK-1", paid_on=PAID_ON, by=county.clerk
    )
    assert state(owed) == ("settled", D("0.00"), 1, 0)


def test_refund_refusals_write_nothing(county, owed):
    before = state(owed)
    with time_machine.travel(T_REFUND, tick=False):
        with pytest.raises(PlanError, match="超过待追回余额 ¥675.00") as above:
            recovery_refund_record(
                recovery=owed, amount=D("675.01"), reference="SK-1", paid_on=PAID_ON, by=county.clerk
            )
        assert above.value.field == "amount"
        with pytest.raises(PermissionDenied):
            recovery_refund_record(
                recovery=owed, amount=D("1.00"), reference="SK-1", paid_on=PAID_ON, by=county.reviewer
            )
        for amount, reference, paid_on, field in [
            (D("0.00"), "SK-1", PAID_ON, "amount"),
            (D("1.005"), "SK-1", PAID_ON, "amount"),
            (D("1.00"), "  ", PAID_ON, "reference"),
            (D("1.00"), "SK-1", datetime.date(2026, 11, 9), "paid_on"),
        ]:
            with pytest.raises(PlanError) as refused:
                recovery_refund_record(
                    recovery=owed, amount=amount, reference=reference, paid_on=paid_on, by=county.clerk
                )
            assert refused.value.field == field
    assert state(owed) == before


# The page ---------------------------------------------------------------------------------------------------


def test_page_by_role(county, owed, enrol):
    mine = recovery(enrol(name="钱多多"), "80.00", county.reviewer)
    url = "/pensions/recoveries/"

    clerk = signed_in(county.clerk).get(url).content.decode()
    assert "赵红梅" in clerk and "675.00" in clerk and "1,325.00" in clerk
    assert 'data-action="refund"' in clerk and 'data-action="write-off' not in clerk
    assert owed.retiree.id_number not in clerk  # masked

    reviewer = signed_in(county.reviewer).get(url).content.decode()
    assert 'data-action="' not in reviewer  # a reviewer neither refunds nor asks for a write-off
    assert signed_in(county.reviewer).get(f"{url}{owed.pk}/").status_code == 200

    # On the recovery's page a clerk asks; nobody may decide before someone asked
    clerk_page = signed_in(county.clerk).get(f"{url}{owed.pk}/").content.decode()
    assert 'data-action="write-off-request"' in clerk_page and f'id="write-off-modal-{owed.pk}"' in clerk_page
    reviewer_page = signed_in(county.reviewer).get(f"{url}{owed.pk}/").content.decode()
    assert 'data-action="write-off' not in reviewer_page

    # Once asked: everyone sees the pending request with who, when and why; the reviewer may decide
    with time_machine.travel(T_REQUEST, tick=False):
        asked = write_off_request(recovery=owed, reason="家属无力偿还", by=county.clerk)
    pending = 'data-status="pending"'
    for staff in (county.clerk, county.reviewer, county.auditor, county.admin):
        page = signed_in(staff).get(f"{url}{owed.pk}/").content.decode()
        assert pending in page and "家属无力偿还" in page and "2026-11-09 09:30" in page
        assert 'data-action="write-off-request"' not in page  # one pending request at a time
    reviewer_page = signed_in(county.reviewer).get(f"{url}{owed.pk}/").content.decode()
    assert 'data-action="write-off-approve"' in reviewer_page
    assert 'data-action="write-off-reject"' in reviewer_page
    assert f'action="/pensions/recoveries/write-off-requests/{asked.pk}/approve/"' in reviewer_page
    assert 'name="expected_balance" value="675.00"' in reviewer_page
    auditor_page = signed_in(county.auditor).get(f"{url}{owed.pk}/").content.decode()
    assert 'data-action="' not in auditor_page
    # the list marks it, and filters on it
    assert "核销待审批" in signed_in(county.reviewer).get(url).content.decode()
    filtered = signed_in(county.reviewer).get(f"{url}?write_off=pending").content.decode()
    assert filtered.count("data-recovery=") == 1

    # a reviewer who recorded the recovery: someone else decides
    theirs = write_off_request(recovery=mine, reason="无力偿还", by=county.clerk)
    mine_page = signed_in(county.reviewer).get(f"{url}{mine.pk}/").content.decode()
    assert 'data-action="write-off-approve"' not in mine_page
    assert "本人申请或登记,须由他人审批核销" in mine_page
    assert theirs.status == "pending"

    auditor = signed_in(county.auditor).get(url)
    assert auditor.status_code == 200
    assert b'data-action="' not in auditor.content

    assert signed_in(county.officer_a).get(url).status_code == 403
    assert signed_in(county.officer_a).get(f"{url}{owed.pk}/").status_code == 403
    assert signed_in(county.clerk).get(f"{url}?status=settled").content.decode().count("data-recovery=") == 0


def test_page_actions(county, owed):
    url = f"/pensions/recoveries/{owed.pk}/"
    # a refund above the balance: 400 with the message, nothing written
    response = signed_in(county.clerk).post(
        f"{url}refunds/", {"amount": "700.00", "reference": "SK-1", "paid_on": "2026-11-07"}
    )
    assert response.status_code == 400
    assert "超过待追回余额" in response.content.decode()
    # a reviewer does not ask for a write-off; a township officer cannot even look
    assert signed_in(county.reviewer).post(f"{url}write-off-requests/", {"reason": "x"}).status_code == 403
    assert signed_in(county.officer_a).post(f"{url}refunds/", {}).status_code == 403
    # no reason: 400
    response = signed_in(county.clerk).post(f"{url}write-off-requests/", {"reason": ""})
    assert response.status_code == 400
    assert state(owed) == ("open", D("675.00"), 0, 0)
    assert not WriteOffRequest.objects.exists()

    response = signed_in(county.clerk).post(f"{url}write-off-requests/", {"reason": "无力偿还"})
    assert response.status_code == 302
    asked = WriteOffRequest.objects.get(recovery=owed)
    assert (asked.status, asked.requested_by, asked.balance_at_request) == (
        "pending",
        county.clerk,
        D("675.00"),
    )
    # a second request while one waits: 400, nothing written
    response = signed_in(county.admin).post(f"{url}write-off-requests/", {"reason": "再申请"})
    assert response.status_code == 400 and "已有待审批" in response.content.decode()
    assert WriteOffRequest.objects.count() == 1

    response = signed_in(county.clerk).post(
        f"{url}refunds/", {"amount": "75.00", "reference": "SK-1", "paid_on": "2026-11-07"}
    )
    assert response.status_code == 302
    approve = f"/pensions/recoveries/write-off-requests/{asked.pk}/approve/"
    reject = f"/pensions/recoveries/write-off-requests/{asked.pk}/reject/"
    # a clerk cannot decide; the balance the reviewer saw before the refund is refused; a reject needs a note
    assert signed_in(county.clerk).post(approve, {"expected_balance": "600.00"}).status_code == 403
    response = signed_in(county.reviewer).post(approve, {"expected_balance": "675.00"})
    assert response.status_code == 400 and "¥600.00" in response.content.decode()
    assert signed_in(county.reviewer).post(reject, {"note": ""}).status_code == 400
    assert state(owed) == ("open", D("600.00"), 1, 0)
    assert pending_of(owed) == [("pending", None)]

    response = signed_in(county.reviewer).post(approve, {"expected_balance": "600.00"})
    assert response.status_code == 302
    assert state(owed) == ("written_off", D("0.00"), 1, 1)
    assert RecoveryWriteOff.objects.get().amount == D("600.00")
    assert pending_of(owed) == [("approved", county.reviewer.pk)]
    page = signed_in(county.reviewer).get(url).content.decode()
    assert "无力偿还" in page and "SK-1" in page and "2026-11" in page


def test_page_reject(county, owed):
    asked = write_off_request(recovery=owed, reason="无力偿还", by=county.clerk)
    reject = f"/pensions/recoveries/write-off-requests/{asked.pk}/reject/"
    assert signed_in(county.clerk).post(reject, {"note": "不同意"}).status_code == 403
    response = signed_in(county.reviewer).post(reject, {"note": "家属有偿还能力"})
    assert response.status_code == 302
    assert state(owed) == ("open", D("675.00"), 0, 0)
    assert pending_of(owed) == [("rejected", county.reviewer.pk)]
    page = signed_in(county.clerk).get(f"/pensions/recoveries/{owed.pk}/").content.decode()
    assert "家属有偿还能力" in page and 'data-status="rejected"' in page
    assert 'data-action="write-off-request"' in page  # may ask again


# The API ----------------------------------------------------------------------------------------------------


def api(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_api_by_role(county, owed):
    listed = api(county.auditor).get("/api/pensions/recoveries/", {"status": "open"})
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert {
        key: row[key] for key in ("id", "amount", "deducted", "refunded", "written_off", "balance", "status")
    } == {
        "id": owed.pk,
        "amount": "2000.00",
        "deducted": "1325.00",
        "refunded": "0.00",
        "written_off": "0.00",
        "balance": "675.00",
        "status": "open",
    }
    assert row["id_number_masked"] != owed.retiree.id_number
    assert api(county.officer_a).get("/api/pensions/recoveries/").status_code == 403

    refunds = f"/api/pensions/recoveries/{owed.pk}/refunds/"
    asks = f"/api/pensions/recoveries/{owed.pk}/write-off-requests/"
    body = {"amount": "700.00", "reference": "SK-1", "paid_on": "2026-11-07"}
    with time_machine.travel(T_REFUND, tick=False):
        assert api(county.clerk).post(refunds, body, format="json").json() == {
            "amount": ["退款金额 ¥700.00 超过待追回余额 ¥675.00。"]
        }
        assert api(county.reviewer).post(refunds, body, format="json").status_code == 403
        assert api(county.officer_a).post(refunds, body, format="json").status_code == 403
        done = api(county.clerk).post(refunds, {**body, "amount": "75.00"}, format="json")
    assert done.status_code == 201
    assert done.json()["balance"] == "600.00"

    assert api(county.reviewer).post(asks, {"reason": "无力偿还"}, format="json").status_code == 403
    missing = api(county.clerk).post(asks, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    assert state(owed) == ("open", D("600.00"), 1, 0)
    with time_machine.travel(T_REQUEST, tick=False):
        made = api(county.clerk).post(asks, {"reason": "无力偿还"}, format="json")
    assert made.status_code == 201
    body = made.json()
    asked = WriteOffRequest.objects.get(recovery=owed)
    assert {key: body[key] for key in ("id", "recovery_id", "reason", "balance_at_request", "status")} == {
        "id": asked.pk,
        "recovery_id": owed.pk,
        "reason": "无力偿还",
        "balance_at_request": "600.00",
        "status": "pending",
    }
    assert (body["decided_by"], body["decided_at"]) == (None, None)
    listed = api(county.reviewer).get("/api/pensions/recoveries/", {"status": "open"}).json()["results"]
    assert listed[0]["write_off_pending"] is True
    again = api(county.admin).post(asks, {"reason": "再申请"}, format="json")
    assert again.status_code == 400

    approve = f"/api/pensions/recoveries/write-off-requests/{asked.pk}/approve/"
    reject = f"/api/pensions/recoveries/write-off-requests/{asked.pk}/reject/"
    assert api(county.clerk).post(approve, {"expected_balance": "600.00"}, format="json").status_code == 403
    assert (
        api(county.officer_a).post(approve, {"expected_balance": "600.00"}, format="json").status_code == 403
    )
    missing = api(county.reviewer).post(approve, {}, format="json")
    assert missing.status_code == 400 and "expected_balance" in missing.json()
    assert api(county.reviewer).post(reject, {}, format="json").status_code == 400
    stale = api(county.reviewer).post(approve, {"expected_balance": "675.00"}, format="json")
    assert stale.status_code == 400 and "expected_balance" in stale.json()
    assert state(owed) == ("open", D("600.00"), 1, 0)
    assert pending_of(owed) == [("pending", None)]

    with time_machine.travel(T_WRITE_OFF, tick=False):
        done = api(county.reviewer).post(approve, {"expected_balance": "600.00"}, format="json")
    assert done.status_code == 201
    assert (done.json()["status"], done.json()["decided_by"]) == ("approved", county.reviewer.display_name)
    assert state(owed) == ("written_off", D("0.00"), 1, 1)
    recovery_row = api(county.reviewer).get("/api/pensions/recoveries/", {"status": "written_off"}).json()
    (row,) = recovery_row["results"]
    assert (row["written_off"], row["balance"], row["write_off_pending"]) == ("600.00", "0.00", False)
    twice = api(county.reviewer).post(approve, {"expected_balance": "0.00"}, format="json")
    assert twice.status_code == 400
    unknown = "/api/pensions/recoveries/write-off-requests/999999/approve/"
    assert api(county.reviewer).post(unknown, {"expected_balance": "1.00"}, format="json").status_code == 404
