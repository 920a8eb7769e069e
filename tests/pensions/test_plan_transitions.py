"""The plan's states through one door: submit, approve by someone else, reject, and the later moves."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from pensions.errors import PlanError
from pensions.models import PayoutLine, PayoutPlan, PlanTotal, PlanTransition
from pensions.services import (
    plan_approve,
    plan_draft,
    plan_lines_digest,
    plan_mark_exported,
    plan_mark_funded,
    plan_mark_reconciled,
    plan_reject,
    plan_submit,
    plan_totals_check,
)

from .conftest import NOV

S = PayoutPlan.Status
T1 = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
T2 = datetime.datetime(2026, 11, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
T3 = datetime.datetime(2026, 11, 7, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def draft(county, enrol) -> PayoutPlan:
    enrol()
    enrol(community=county.community_b1, bank="ccb")
    with time_machine.travel(T1, tick=False):
        return plan_draft(month=NOV, by=county.clerk)


def history(plan: PayoutPlan) -> list[tuple[str, str, int | None, datetime.datetime, str]]:
    return list(plan.transitions.order_by("id").values_list("from_status", "to_status", "by", "at", "reason"))


@pytest.mark.django_db
def test_submit_then_approve_by_someone_else_freezes_the_plan(county, draft):
    with time_machine.travel(T2, tick=False):
        plan_submit(plan=draft, by=county.clerk)
    with time_machine.travel(T3, tick=False):
        plan_approve(plan=draft, by=county.reviewer)

    draft.refresh_from_db()
    assert draft.status == S.APPROVED
    assert (draft.submitted_by, draft.submitted_at) == (county.clerk, T2)
    assert (draft.approved_by, draft.approved_at) == (county.reviewer, T3)
    assert draft.lines_hash == plan_lines_digest(plan=draft)
    assert len(draft.lines_hash) == 64
    assert history(draft) == [
        ("", "draft", county.clerk.pk, T1, "生成发放计划"),
        ("draft", "submitted", county.clerk.pk, T2, ""),
        ("submitted", "approved", county.reviewer.pk, T3, ""),
    ]


@pytest.mark.django_db
def test_wrong_moves_are_refused_and_change_nothing(county, draft):
    # approving or funding a draft
    with pytest.raises(PlanError, match="不能从“草稿”变为“已审批”"):
        plan_approve(plan=draft, by=county.reviewer)
    with pytest.raises(PlanError):
        plan_mark_funded(plan=draft, by=county.reviewer)
    # rejecting a draft
    with pytest.raises(PlanError):
        plan_reject(plan=draft, by=county.reviewer, reason="金额有误")
    plan_submit(plan=draft, by=county.clerk)
    # submitting twice
    with pytest.raises(PlanError):
        plan_submit(plan=draft, by=county.clerk)
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED
    assert history(draft)[-1][:2] == ("draft", "submitted")
    assert PlanTransition.objects.count() == 2


@pytest.mark.django_db
def test_nobody_approves_their_own_plan(county, enrol):
    enrol()
    plan = plan_draft(month=NOV, by=county.admin)
    plan_submit(plan=plan, by=county.admin)

    with pytest.raises(PlanError, match="不能审批自己提交的发放计划"):
        plan_approve(plan=plan, by=county.admin)

    plan.refresh_from_db()
    assert (plan.status, plan.approved_by, plan.lines_hash) == (S.SUBMITTED, None, "")
    # a clerk may not approve at all, a reviewer may not submit
    with pytest.raises(PermissionDenied):
        plan_approve(plan=plan, by=county.clerk)
    assert plan_approve(plan=plan, by=county.reviewer).status == S.APPROVED


@pytest.mark.django_db
def test_a_reviewer_may_not_submit(county, draft):
    with pytest.raises(PermissionDenied):
        plan_submit(plan=draft, by=county.reviewer)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


@pytest.mark.django_db
def test_rejection_returns_to_draft_with_the_reason_and_allows_regeneration(county, draft):
    plan_submit(plan=draft, by=county.clerk)
    with pytest.raises(PlanError, match="请填写退回原因"):
        plan_reject(plan=draft, by=county.reviewer, reason="  ")

    with time_machine.travel(T3, tick=False):
        plan_reject(plan=draft, by=county.reviewer, reason="梅林镇人数与上月不符")

    draft.refresh_from_db()
    assert (draft.status, draft.rejection_reason, draft.submitted_by) == (
        S.DRAFT,
        "梅林镇人数与上月不符",
        None,
    )
    assert history(draft)[-1] == ("submitted", "draft", county.reviewer.pk, T3, "梅林镇人数与上月不符")
    # it can be made again and resubmitted, which clears the reason
    plan = plan_draft(month=NOV, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    plan.refresh_from_db()
    assert (plan.status, plan.rejection_reason) == (S.SUBMITTED, "")


@pytest.mark.django_db
def test_the_later_moves_run_in_order_and_check_the_lines(county, draft):
    plan_submit(plan=draft, by=county.clerk)
    plan_approve(plan=draft, by=county.reviewer)
    with pytest.raises(PlanError):
        plan_mark_exported(plan=draft, by=county.clerk)
    with pytest.raises(PermissionDenied):
        plan_mark_funded(plan=draft, by=county.clerk)
    plan_mark_funded(plan=draft, by=county.reviewer, reason="拨付单号 2026-11-001")
    plan_mark_exported(plan=draft, by=county.clerk)
    # reconciliation waits for every sent line's answer
    with pytest.raises(PlanError, match="还有 2 笔"):
        plan_mark_reconciled(plan=draft, by=county.clerk)
    PayoutLine.objects.filter(plan=draft).update(payment_status=PayoutLine.PaymentStatus.PAID)
    plan_mark_reconciled(plan=draft, by=county.clerk)
    assert [row[1] for row in history(draft)] == [
        "draft",
        "submitted",
        "approved",
        "funded",
        "exported",
        "reconciled",
    ]


FROZEN = "approved_plan_is_frozen: 2026-11 发放计划已审批"


def _refused(change) -> None:
    with pytest.raises(IntegrityError, match=FROZEN), transaction.atomic():
        change()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.APPROVED, S.FUNDED, S.EXPORTED, S.RECONCILED])
def test_the_database_refuses_any_change_to_an_approved_plans_lines_and_totals(county, draft, enrol, status):
    plan_submit(plan=draft, by=county.clerk)
    plan_approve(plan=draft, by=county.reviewer)
    PayoutPlan.objects.filter(pk=draft.pk).update(status=status)
    lines = PayoutLine.objects.filter(plan=draft).order_by("id")
    first, second = lines
    before = list(lines.values())

    _refused(lambda: lines.filter(pk=first.pk).update(account_number="6222000000000000001"))
    _refused(lambda: lines.filter(pk=first.pk).update(name="李四"))
    _refused(lambda: lines.filter(pk=first.pk).update(regular=first.regular + 1, net=first.net + 1))
    _refused(lambda: lines.filter(pk=second.pk).delete())
    added = PayoutLine(**{f.attname: getattr(second, f.attname) for f in PayoutLine._meta.concrete_fields})
    added.pk, added.retiree = None, enrol(name="王新增")
    _refused(added.save)
    bank_total = PlanTotal.objects.filter(plan=draft, kind="bank").first()
    _refused(lambda: PlanTotal.objects.filter(pk=bank_total.pk).update(line_count=99))
    _refused(lambda: PlanTotal.objects.filter(pk=bank_total.pk).delete())
    _refused(lambda: PayoutPlan.objects.filter(pk=draft.pk).update(line_count=99))
    _refused(lambda: PayoutPlan.objects.filter(pk=draft.pk).update(lines_hash="0" * 64))

    # The payment result is the one thing that changes later (return files); nothing else moved.
    lines.filter(pk=first.pk).update(payment_status=PayoutLine.PaymentStatus.FAILED, bank_reason="账户已销户")
    after = list(lines.values())
    assert [
        {k: v for k, v in row.items() if k not in ("payment_status", "bank_reason")} for row in after
    ] == [{k: v for k, v in row.items() if k not in ("payment_status", "bank_reason")} for row in before]
    assert (after[0]["payment_status"], after[0]["bank_reason"]) == ("failed", "账户已销户")


@pytest.mark.django_db
def test_a_submitted_plans_lines_are_still_open(county, draft):
    plan_submit(plan=draft, by=county.clerk)
    line = PayoutLine.objects.filter(plan=draft).first()
    PayoutLine.objects.filter(pk=line.pk).update(account_number="6222000000000000001")
    assert PayoutLine.objects.get(pk=line.pk).account_number == "6222000000000000001"


@pytest.mark.django_db
def test_lines_changed_around_the_database_guard_stop_funding(county, draft):
    plan_submit(plan=draft, by=county.clerk)
    plan_approve(plan=draft, by=county.reviewer)
    line = PayoutLine.objects.filter(plan=draft).first()
    # Only the tables' owner can do this (a superuser or the migrations' role); the approval's digest
    # still shows the change at funding, when the money leaves the fund's account.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE pensions_payoutline DISABLE TRIGGER approved_plan_line_update")
        PayoutLine.objects.filter(pk=line.pk).update(account_number="6222000000000000001")
        cursor.execute("ALTER TABLE pensions_payoutline ENABLE TRIGGER approved_plan_line_update")

    with pytest.raises(PlanError, match="与审批时不一致"):
        plan_mark_funded(plan=draft, by=county.reviewer)
    draft.refresh_from_db()
    assert draft.status == S.APPROVED


@pytest.mark.django_db
def test_totals_that_no_longer_match_the_lines_stop_submission(county, draft):
    PlanTotal.objects.filter(plan=draft, kind="bank").update(
        net_total=Decimal("1.00"), regular_total=Decimal("1.00")
    )
    with pytest.raises(PlanError, match="汇总与明细不符"):
        plan_submit(plan=draft, by=county.clerk)
    with pytest.raises(PlanError, match="汇总与明细不符"):
        plan_totals_check(plan=draft)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


@pytest.mark.django_db
def test_a_line_without_an_account_stops_submission(county, enrol):
    enrol(bank=None, name="赵无户")
    plan = plan_draft(month=NOV, by=county.clerk)
    with pytest.raises(PlanError, match="1 人没有当前银行账户,不能提交:赵无户"):
        plan_submit(plan=plan, by=county.clerk)


@pytest.mark.django_db
def test_an_empty_plan_is_not_submitted(county):
    plan = plan_draft(month=NOV, by=county.clerk)
    with pytest.raises(PlanError, match="没有明细"):
        plan_submit(plan=plan, by=county.clerk)


# The database's own guards ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_an_approver_who_submitted(county, draft):
    # The draft is the clerk's: a submitter who did not draft it isolates this constraint from the
    # preparer's (tests/pensions/test_four_eyes.py).
    with pytest.raises(IntegrityError, match="payoutplan_approver_is_not_submitter"), transaction.atomic():
        PayoutPlan.objects.filter(pk=draft.pk).update(
            submitted_by=county.reviewer, approved_by=county.reviewer
        )


@pytest.mark.django_db
def test_the_database_refuses_a_second_line_for_a_retiree_and_month(county, draft):
    line = PayoutLine.objects.filter(plan=draft).first()
    line.pk = None
    with pytest.raises(IntegrityError, match="payoutline_one_per_retiree"), transaction.atomic():
        line.save()


@pytest.mark.django_db
def test_the_database_refuses_a_line_that_does_not_add_up(county, draft):
    with pytest.raises(IntegrityError, match="payoutline_net_adds_up"), transaction.atomic():
        PayoutLine.objects.filter(plan=draft).update(net=Decimal("0.01"))
    with pytest.raises(IntegrityError, match="payoutplan_approved_is_signed"), transaction.atomic():
        PayoutPlan.objects.filter(pk=draft.pk).update(status=S.APPROVED)


@pytest.mark.django_db
def test_a_second_plan_for_the_month_and_edits_of_transitions_are_refused(county, draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutPlan.objects.create(month=NOV, generated_at=T1)
    with pytest.raises(Exception, match="append_only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE pensions_plantransition SET reason = 'x'")


@pytest.mark.django_db
def test_the_lines_digest_is_the_sha256_of_every_line_in_id_order(county, enrol):
    # Lines written out of id order across banks and townships: the digest must still take them by id.
    for index in range(30):
        enrol(
            community=county.community_b1 if index % 3 else county.community_a1,
            bank="ccb" if index % 2 else "psbc",
        )
    plan = plan_draft(month=NOV, by=county.clerk)
    lines = PayoutLine.objects.filter(plan=plan).order_by("id")
    expected = hashlib.sha256(
        "".join(
            "|".join(
                str(value)
                for value in (
                    line.id,
                    line.retiree_id,
                    line.id_number,
                    line.name,
                    line.bank_id or "",
                    line.account_number,
                    line.holder_name,
                    line.township_id or "",
                    line.community_id or "",
                    "t" if line.is_withheld else "f",
                    line.regular,
                    line.arrears,
                    line.deduction,
                    line.withheld,
                    line.net,
                )
            )
            + "\n"
            for line in lines
        ).encode()
    ).hexdigest()
    assert len(lines) == 30
    assert plan_lines_digest(plan=plan) == expected
    # Any line changed changes it.
    PayoutLine.objects.filter(pk=lines[17].pk).update(holder_name="别人")
    assert plan_lines_digest(plan=plan) != expected
