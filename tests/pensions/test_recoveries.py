"""Recoveries (追回): the balance (amount − deducted − refunded − written off), refunds recorded by a clerk,
the balance written off by a reviewer who did not record the recovery; the page and the API by role."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from pensions.errors import PlanError
from pensions.models import PayoutLine, RecoveryDeduction, RecoveryRefund, RecoveryWriteOff
from pensions.selectors import recovery_balance, recovery_history, recovery_list
from pensions.services import plan_draft, recovery_refund_record, recovery_write_off
from registry.models import Recovery, Staff

from .conftest import NOV, M, recovery
from .payout_flow import approved_plan

pytestmark = pytest.mark.django_db
D = Decimal
SH = ZoneInfo("Asia/Shanghai")
T_REFUND = datetime.datetime(2026, 11, 8, 10, 0, tzinfo=SH)
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
    with time_machine.travel(T_WRITE_OFF, tick=False):
        write_off = recovery_write_off(recovery=owed, reason="家属无力偿还", by=county.reviewer)

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
    with time_machine.travel(T_WRITE_OFF, tick=False):
        write_off = recovery_write_off(recovery=owed, reason="  本人已故,无遗产  ", by=county.reviewer)

    write_off.refresh_from_db()
    assert (
        write_off.amount,
        write_off.reason,
        write_off.by,
        write_off.at,
        write_off.recovery_created_by,
    ) == (
        D("675.00"),
        "本人已故,无遗产",
        county.reviewer,
        T_WRITE_OFF,
        county.clerk,
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


def test_write_off_refusals_write_nothing(county, owed, enrol):
    before = state(owed)

    # a clerk may not write off
    with pytest.raises(PermissionDenied):
        recovery_write_off(recovery=owed, reason="无力偿还", by=county.clerk)
    # a reason is required
    with pytest.raises(PlanError) as blank:
        recovery_write_off(recovery=owed, reason="   ", by=county.reviewer)
    assert blank.value.field == "reason"
    # the balance the dialog showed must still be the balance
    with pytest.raises(PlanError) as stale:
        recovery_write_off(
            recovery=owed, reason="无力偿还", by=county.reviewer, expected_balance=D("2000.00")
        )
    assert stale.value.field == "expected_balance"
    assert state(owed) == before

    # whoever recorded the recovery may not write it off (the admin recorded this one)
    mine = recovery(enrol(), "50.00", county.admin)
    with pytest.raises(PlanError, match="自己登记"):
        recovery_write_off(recovery=mine, reason="无力偿还", by=county.admin)
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
    mine.refresh_from_db()
    assert mine.status == "open"

    # a settled recovery has nothing to write off
    recovery_refund_record(
        recovery=owed, amount=D("675.00"), reference="SK-9", paid_on=PAID_ON, by=county.clerk
    )
    assert state(owed) == ("settled", D("0.00"), 1, 0)
    with pytest.raises(PlanError, match="已追回"):
        recovery_write_off(recovery=owed, reason="无力偿还", by=county.reviewer)
    assert state(owed) == ("settled", D("0.00"), 1, 0)
    assert not RecoveryWriteOff.objects.exists()


def test_write_off_waits_for_a_plan_that_is_not_approved_yet(county, owed):
    # Given a newer recovery of 5000.00, and December's draft deducting 1325.00: the older one's 675.00
    # first, then 650.00 of the newer one
    big = recovery(owed.retiree, "5000.00", county.clerk)
    plan_draft(month=DEC, by=county.clerk)
    assert state(owed)[:2] == ("settled", D("0.00"))
    assert recovery_balance(recovery=big) == D("4350.00")

    # Then the newer one cannot be written off until December is approved: a regenerated draft would give
    # the 650.00 back, and the write-off would have missed it
    with pytest.raises(PlanError, match="2026-12"):
        recovery_write_off(recovery=big, reason="无力偿还", by=county.reviewer)
    assert state(big) == ("open", D("4350.00"), 0, 0)


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


def signed_in(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_page_by_role(county, owed, enrol):
    mine = recovery(enrol(name="钱多多"), "80.00", county.reviewer)
    url = "/pensions/recoveries/"

    clerk = signed_in(county.clerk).get(url).content.decode()
    assert "赵红梅" in clerk and "675.00" in clerk and "1,325.00" in clerk
    assert 'data-action="refund"' in clerk and 'data-action="write-off"' not in clerk
    assert owed.retiree.id_number not in clerk  # masked

    reviewer = signed_in(county.reviewer).get(url).content.decode()
    assert f'id="write-off-modal-{owed.pk}"' in reviewer
    assert f'id="write-off-modal-{mine.pk}"' not in reviewer  # recorded it: someone else writes it off
    assert "本人登记,须由他人核销" in reviewer
    assert 'data-action="refund"' not in reviewer

    auditor = signed_in(county.auditor).get(url)
    assert auditor.status_code == 200
    assert b'data-action="' not in auditor.content
    assert signed_in(county.auditor).get(f"{url}{owed.pk}/").status_code == 200

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
    # a clerk cannot write off; a township officer cannot even look
    assert (
        signed_in(county.clerk)
        .post(f"{url}write-off/", {"reason": "x", "expected_balance": "675.00"})
        .status_code
        == 403
    )
    assert signed_in(county.officer_a).post(f"{url}refunds/", {}).status_code == 403
    # no reason: 400
    response = signed_in(county.reviewer).post(
        f"{url}write-off/", {"reason": "", "expected_balance": "675.00"}
    )
    assert response.status_code == 400
    assert state(owed) == ("open", D("675.00"), 0, 0)

    response = signed_in(county.clerk).post(
        f"{url}refunds/", {"amount": "75.00", "reference": "SK-1", "paid_on": "2026-11-07"}
    )
    assert response.status_code == 302
    response = signed_in(county.reviewer).post(
        f"{url}write-off/", {"reason": "无力偿还", "expected_balance": "600.00"}
    )
    assert response.status_code == 302
    assert state(owed) == ("written_off", D("0.00"), 1, 1)
    page = signed_in(county.reviewer).get(url).content.decode()
    assert "无力偿还" in page and "SK-1" in page and "2026-11" in page


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
    write_off = f"/api/pensions/recoveries/{owed.pk}/write-off/"
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

    assert api(county.clerk).post(write_off, {"reason": "无力偿还"}, format="json").status_code == 403
    missing = api(county.reviewer).post(write_off, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    assert state(owed) == ("open", D("600.00"), 1, 0)
    done = api(county.reviewer).post(
        write_off, {"reason": "无力偿还", "expected_balance": "600.00"}, format="json"
    )
    assert done.status_code == 201
    assert (done.json()["status"], done.json()["written_off"], done.json()["balance"]) == (
        "written_off",
        "600.00",
        "0.00",
    )
    again = api(county.reviewer).post(write_off, {"reason": "无力偿还"}, format="json")
    assert again.status_code == 400
