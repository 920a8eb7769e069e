"""The death registration and what its confirmation does to money (docs/deaths.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from benefits.errors import BenefitError
from benefits.models import DeathRegistration
from benefits.services import (
    DeathFigures,
    death_registration_confirm,
    death_registration_correct,
    death_registration_preview,
    death_registration_record,
    death_registration_reject,
    death_report,
)
from pensions.errors import PlanError
from pensions.models import (
    FailedPaymentResolution,
    PayoutLine,
    PayoutPlan,
    RecoveryLine,
    RecoveryRefund,
    WithheldRelease,
)
from pensions.services import plan_draft, plan_submit, withheld_release
from pensions.services.transitions import plan_approve
from pensions.tasks import redraft_payout_plans
from registry.models import ArrearsItem, Recovery, Retiree, StatusChange
from registry.services import retiree_change_status
from tests.benefits.deaths_flow import (
    AUG,
    NOV,
    OCT,
    RATE,
    SEP,
    amounts,
    approve_month,
    line_of,
    record,
    record_and_confirm,
)
from tests.certification.deaths import confirmed_death
from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]

DIED = datetime.date(2026, 9, 20)


@pytest.fixture
def paid_through_november(county, enrol, settings):
    """A retiree at 2,800.00 a month, paid by the approved plans of September, October and November."""
    settings.PAYOUT_FIRST_MONTH = "2026-09"
    retiree = enrol(rates=((SEP.plus(-60), RATE),), name="周德海")
    enrol(rates=((SEP.plus(-60), "2650.00"),), name="吴长青")  # someone the plans go on paying
    for month in (SEP, OCT, NOV):
        approve_month(county, month)
    return retiree


def test_a_confirmed_death_makes_the_person_deceased_and_recovers_the_months_after_it(
    county, paid_through_november
):
    retiree = paid_through_november
    registration = record(county, retiree, DIED)
    assert registration.status == "pending"
    assert registration.source == "family"
    retiree.refresh_from_db()
    assert retiree.status == "active"  # nothing happens before a reviewer confirms

    preview = death_registration_preview(registration=registration)
    confirmed = death_registration_confirm(
        registration=registration, by=county.reviewer, seen=DeathFigures.of(preview)
    )

    retiree.refresh_from_db()
    assert (retiree.status, retiree.died_on) == ("deceased", DIED)
    change = StatusChange.objects.get(retiree=retiree, to_status="deceased")
    assert (change.from_status, change.effective_date, change.actor) == ("active", DIED, county.reviewer)
    recovery = Recovery.objects.get(retiree=retiree)
    assert (recovery.reason, recovery.amount, str(recovery.from_month), str(recovery.to_month)) == (
        "after_death",
        Decimal("5600.00"),
        "2026-10",
        "2026-11",
    )
    assert recovery.status == "open"
    months = list(RecoveryLine.objects.filter(recovery=recovery).values_list("line", "month", "amount"))
    assert months == [
        (line_of(retiree, OCT).pk, OCT, Decimal("2800.00")),
        (line_of(retiree, NOV).pk, NOV, Decimal("2800.00")),
    ]
    assert (confirmed.status, confirmed.decided_by, confirmed.recovery) == (
        "confirmed",
        county.reviewer,
        recovery,
    )
    assert confirmed.settlement["death_month"] == "2026-09"
    assert amounts(confirmed.settlement["recovered"]) == [
        ("2026-10", Decimal("2800.00")),
        ("2026-11", Decimal("2800.00")),
    ]
    assert confirmed.settlement["unpaid_due"] == []
    assert FailedPaymentResolution.objects.count() == 0


def test_a_month_the_bank_returned_failed_is_not_due_and_not_recovered(county, paid_through_november):
    retiree = paid_through_november
    november = line_of(retiree, NOV)
    PayoutLine.objects.filter(pk=november.pk).update(
        payment_status=PayoutLine.PaymentStatus.FAILED, bank_reason="账户已销户"
    )

    registration = record_and_confirm(county, retiree, DIED)

    recovery = Recovery.objects.get(retiree=retiree)
    assert (recovery.amount, str(recovery.from_month), str(recovery.to_month)) == (
        Decimal("2800.00"),
        "2026-10",
        "2026-10",
    )
    assert list(RecoveryLine.objects.values_list("month", flat=True)) == [OCT]
    resolution = FailedPaymentResolution.objects.get()
    assert (resolution.line_id, resolution.kind, resolution.arrears_item, resolution.by) == (
        november.pk,
        "not_due",
        None,
        county.reviewer,
    )
    assert amounts(registration.settlement["failed_not_due"]) == [("2026-11", Decimal("2800.00"))]
    assert ArrearsItem.objects.filter(retiree=retiree).count() == 0  # never re-issued


def test_the_same_death_registered_twice_is_refused(county, paid_through_november):
    retiree = paid_through_november
    record(county, retiree, DIED)

    with pytest.raises(BenefitError, match="已有一条“待复核”的死亡登记,不能重复登记"):
        record(county, retiree, DIED)
    with pytest.raises(BenefitError, match="不能重复登记"):
        death_report(retiree=retiree, died_on=DIED, by=county.officer_a)
    # The database refuses it too
    with pytest.raises(IntegrityError), transaction.atomic():
        DeathRegistration.objects.create(
            retiree=retiree,
            died_on=DIED,
            source="family",
            status="pending",
            recorded_by=county.clerk,
            recorded_at=timezone.now(),
        )
    assert DeathRegistration.objects.filter(retiree=retiree).count() == 1


def test_a_confirmed_death_cannot_be_confirmed_again_or_registered_again(county, paid_through_november):
    retiree = paid_through_november
    registration = record_and_confirm(county, retiree, DIED)

    with pytest.raises(BenefitError, match="已是“已确认”状态,不能确认"):
        death_registration_confirm(registration=registration, by=county.admin)
    with pytest.raises(BenefitError, match="不能登记死亡"):
        record(county, retiree, DIED)
    assert Recovery.objects.filter(retiree=retiree).count() == 1
    assert RecoveryLine.objects.count() == 2


def test_the_recorder_cannot_confirm_or_reject(county, paid_through_november):
    retiree = paid_through_november
    registration = death_registration_record(retiree=retiree, died_on=DIED, by=county.admin)

    with pytest.raises(BenefitError, match="您登记了这条死亡信息,不能确认"):
        death_registration_confirm(registration=registration, by=county.admin)
    with pytest.raises(BenefitError, match="您登记了这条死亡信息,不能退回"):
        death_registration_reject(registration=registration, reason="材料不全", by=county.admin)
    registration.refresh_from_db()
    retiree.refresh_from_db()
    assert (registration.status, retiree.status) == ("pending", "active")
    assert Recovery.objects.count() == 0

    # The database refuses it too
    with pytest.raises(IntegrityError), transaction.atomic():
        DeathRegistration.objects.filter(pk=registration.pk).update(
            status="confirmed", decided_by=county.admin, decided_at=timezone.now()
        )


def test_roles_without_the_action_are_refused(county, paid_through_november):
    retiree = paid_through_november
    with pytest.raises(PermissionDenied):
        death_registration_record(retiree=retiree, died_on=DIED, by=county.reviewer)
    registration = record(county, retiree, DIED)
    with pytest.raises(PermissionDenied):
        death_registration_confirm(registration=registration, by=county.clerk)
    with pytest.raises(PermissionDenied):
        death_registration_confirm(registration=registration, by=county.auditor)
    assert DeathRegistration.objects.get().status == "pending"


def test_the_dialog_figures_must_still_hold_at_confirmation(county, paid_through_november):
    retiree = paid_through_november
    registration = record(county, retiree, datetime.date(2026, 10, 15))
    seen = DeathFigures.of(death_registration_preview(registration=registration))
    assert seen == DeathFigures(recovered_months=("2026-11",), recovered_total=Decimal("2800.00"))
    # Meanwhile November came back failed: it is no longer recovered
    PayoutLine.objects.filter(pk=line_of(retiree, NOV).pk).update(
        payment_status=PayoutLine.PaymentStatus.FAILED
    )

    with pytest.raises(BenefitError, match="已有变化"):
        death_registration_confirm(registration=registration, by=county.reviewer, seen=seen)
    assert DeathRegistration.objects.get().status == "pending"
    assert Retiree.objects.get(pk=retiree.pk).status == "active"


def test_a_rejected_registration_may_be_recorded_anew(county, paid_through_november):
    retiree = paid_through_november
    registration = record(county, retiree, DIED)
    with pytest.raises(BenefitError, match="请填写退回原因"):
        death_registration_reject(registration=registration, reason=" ", by=county.reviewer)

    rejected = death_registration_reject(
        registration=registration, reason="死亡证明与身份证不符", by=county.reviewer
    )

    assert (rejected.status, rejected.decision_note, rejected.decided_by) == (
        "rejected",
        "死亡证明与身份证不符",
        county.reviewer,
    )
    assert Retiree.objects.get(pk=retiree.pk).status == "active"
    again = record(county, retiree, datetime.date(2026, 9, 21))
    assert again.status == "pending"


def test_dates_in_the_future_or_before_retirement_are_refused(county, paid_through_november):
    retiree = paid_through_november
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(BenefitError, match="死亡日期不能晚于今天") as refused:
        record(county, retiree, tomorrow)
    assert refused.value.field == "died_on"
    with pytest.raises(BenefitError, match="死亡日期不能早于退休时间"):
        record(county, retiree, datetime.date(2017, 1, 1))
    assert DeathRegistration.objects.count() == 0


def test_a_township_officer_reports_only_in_their_township_and_the_clerk_completes_it(
    county, paid_through_november
):
    retiree = paid_through_november  # township A
    with pytest.raises(BenefitError, match="不在您的管辖范围内"):
        death_report(retiree=retiree, died_on=DIED, reporter_name="邻居", by=county.officer_b)
    assert DeathRegistration.objects.count() == 0

    report = death_report(
        retiree=retiree, died_on=DIED, reporter_name="王大妈", reporter_relation="邻居", by=county.officer_a
    )
    assert (report.status, report.source, report.reported_by, report.recorded_by) == (
        "reported",
        "township",
        county.officer_a,
        None,
    )
    with pytest.raises(PermissionDenied):
        death_registration_record(report=report, died_on=DIED, by=county.officer_a)

    completed = death_registration_record(report=report, died_on=DIED, by=county.clerk)

    assert completed.pk == report.pk
    assert (completed.status, completed.source, completed.reported_by, completed.recorded_by) == (
        "pending",
        "township",
        county.officer_a,
        county.clerk,
    )
    assert DeathRegistration.objects.count() == 1


def test_a_death_from_the_deaths_list_names_its_match(county, paid_through_november):
    retiree = paid_through_november
    match = confirmed_death(retiree, by=county.clerk)

    registration = death_registration_record(death_match=match, died_on=DIED, by=county.clerk)

    assert (registration.source, registration.death_match, registration.retiree) == (
        "deaths_list",
        match,
        retiree,
    )


def test_documents_are_checked_by_their_content(county, paid_through_november):
    from django.core.files.uploadedfile import SimpleUploadedFile

    retiree = paid_through_november
    fake = SimpleUploadedFile("cremation.pdf", b"this is not a pdf", content_type="application/pdf")
    with pytest.raises(BenefitError, match="内容与文件类型不符") as refused:
        record(county, retiree, DIED, documents={"cremation_certificate": fake})
    assert refused.value.field == "cremation_certificate"
    assert DeathRegistration.objects.count() == 0

    real = SimpleUploadedFile("cremation.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    registration = record(county, retiree, DIED, documents={"cremation_certificate": real})
    assert registration.cremation_certificate.name.endswith(".pdf")
    assert not registration.burial_certificate


def test_a_suspended_person_who_died_gets_the_withheld_month_up_to_the_death_and_nothing_is_recovered(
    county, enrol, settings
):
    settings.PAYOUT_FIRST_MONTH = "2026-08"
    retiree = enrol(rates=((AUG.plus(-60), RATE),), name="钱少华")
    approve_month(county, AUG)  # paid through August
    retiree_change_status(
        retiree=retiree,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 8, 31),
        reason="未认证",
        by=county.clerk,
    )
    approve_month(county, SEP)
    approve_month(county, OCT)
    assert (line_of(retiree, SEP).is_withheld, line_of(retiree, OCT).is_withheld) == (True, True)

    with time_machine.travel(datetime.datetime(2026, 11, 16, 10, 0, tzinfo=timezone.get_current_timezone())):
        registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 10))

    retiree.refresh_from_db()
    assert (retiree.status, retiree.died_on) == ("deceased", datetime.date(2026, 9, 10))
    assert Recovery.objects.filter(retiree=retiree).count() == 0
    assert registration.recovery is None
    assert amounts(registration.settlement["withheld_payable"]) == [("2026-09", Decimal("2800.00"))]
    assert amounts(registration.settlement["dropped"]) == [("2026-10", Decimal("2800.00"))]
    assert registration.settlement["recovered"] == []
    # Neither month is released: September goes with the claim, October is not due
    assert WithheldRelease.objects.count() == 0


def test_a_wrong_death_corrected_gives_everything_back_once(county, enrol, settings):
    settings.PAYOUT_FIRST_MONTH = "2026-08"
    retiree = enrol(rates=((AUG.plus(-60), RATE),), name="孙玉梅")
    enrol(rates=((AUG.plus(-60), "2650.00"),), name="吴长青")  # someone the plans go on paying
    approve_month(county, AUG)
    retiree_change_status(
        retiree=retiree,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 8, 31),
        reason="未认证",
        by=county.clerk,
    )
    approve_month(county, SEP)  # withheld
    registration = record_and_confirm(county, retiree, datetime.date(2026, 7, 5))  # wrongly: before August
    recovery = registration.recovery
    assert recovery is not None and recovery.amount == Decimal("2800.00")  # August was paid after "death"
    approve_month(county, OCT)  # made while recorded deceased: no line for them
    assert not PayoutLine.objects.filter(retiree=retiree, plan__month=OCT.number).exists()

    with pytest.raises(BenefitError, match="请填写更正原因"):
        death_registration_correct(registration=registration, reason="", by=county.reviewer)
    with pytest.raises(PermissionDenied):
        death_registration_correct(registration=registration, reason="本人健在", by=county.clerk)

    corrected = death_registration_correct(
        registration=registration, reason="本人到柜台,健在", by=county.reviewer
    )

    retiree.refresh_from_db()
    assert (retiree.status, retiree.died_on) == ("active", None)
    assert StatusChange.objects.filter(retiree=retiree).values_list("from_status", "to_status").first() == (
        "deceased",
        "active",
    )
    recovery.refresh_from_db()
    assert recovery.status == "cancelled"
    assert (corrected.status, corrected.corrected_by, corrected.correction_reason) == (
        "corrected",
        county.reviewer,
        "本人到柜台,健在",
    )
    items = list(
        ArrearsItem.objects.filter(retiree=retiree).order_by("month").values_list("month", "amount", "reason")
    )
    assert items == [
        (SEP, Decimal("2800.00"), "restoration"),  # the withheld September, released
        (OCT, Decimal("2800.00"), "restoration"),  # October, which no plan paid while "deceased"
    ]
    assert WithheldRelease.objects.get().line == line_of(retiree, SEP)

    # Correcting twice is refused; a later certification releases nothing more
    with pytest.raises(BenefitError, match="只有已确认的死亡登记可以更正"):
        death_registration_correct(registration=registration, reason="再次更正", by=county.admin)
    # (what a certification restoring them calls)
    assert withheld_release(retiree=retiree, by=county.officer_a) == []
    assert ArrearsItem.objects.filter(retiree=retiree).count() == 2
    assert WithheldRelease.objects.count() == 1


def test_a_correction_is_refused_once_money_was_recorded_against_the_recovery(county, paid_through_november):
    retiree = paid_through_november
    registration = record_and_confirm(county, retiree, DIED)
    RecoveryRefund.objects.create(
        recovery=registration.recovery,
        amount=Decimal("100.00"),
        paid_on=datetime.date(2026, 11, 20),
        reference="退款001",
        by=county.reviewer,
        at=timezone.now(),
    )

    with pytest.raises(BenefitError, match="已有退款、银行退回、抵扣或核销记录"):
        death_registration_correct(registration=registration, reason="本人健在", by=county.reviewer)
    retiree.refresh_from_db()
    assert retiree.status == "deceased"
    assert Recovery.objects.get().status == "open"


def test_a_draft_plan_made_again_leaves_the_person_out_and_a_submitted_one_is_refused(
    county, paid_through_november
):
    retiree = paid_through_november
    december = plan_draft(month=NOV.next(), by=county.clerk)
    assert PayoutLine.objects.filter(plan=december, retiree=retiree).exists()
    plan_submit(plan=december, by=county.clerk)

    record_and_confirm(county, retiree, DIED)

    with pytest.raises(PlanError, match="已死亡或终止发放:请退回并重新生成计划"):
        plan_approve(plan=december, by=county.reviewer)
    december.refresh_from_db()
    assert december.status == "submitted"

    # Sent back, it is made again (the task the death queued on commit) without the person
    from pensions.services import plan_reject

    plan_reject(plan=december, by=county.reviewer, reason="重新生成")
    assert redraft_payout_plans() == [NOV.next().number]
    december = PayoutPlan.objects.get(pk=december.pk)
    assert not PayoutLine.objects.filter(plan=december, retiree=retiree).exists()
    plan_submit(plan=december, by=county.clerk)
    assert plan_approve(plan=december, by=county.reviewer).status == "approved"


def test_a_correction_owes_only_the_months_left_out_since_the_death(county, enrol, settings):
    settings.PAYOUT_FIRST_MONTH = "2026-08"
    enrol(rates=((AUG.plus(-60), "2650.00"),), name="吴长青")
    approve_month(county, AUG)  # before this person was in the system (brought over later, no start month)
    retiree = enrol(rates=((AUG.plus(-60), RATE),), name="郑春花")
    approve_month(county, SEP)
    registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 20))
    approve_month(county, OCT)  # made while recorded deceased

    death_registration_correct(registration=registration, reason="本人健在", by=county.reviewer)

    assert list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "amount", "reason")) == [
        (OCT, Decimal("2800.00"), "restoration")
    ]


def test_a_failed_month_after_the_death_paid_by_hand_is_recovered(county, paid_through_november):
    retiree = paid_through_november
    november = line_of(retiree, NOV)
    PayoutLine.objects.filter(pk=november.pk).update(payment_status=PayoutLine.PaymentStatus.FAILED)
    FailedPaymentResolution.objects.create(
        line=november,
        kind=FailedPaymentResolution.Kind.PAID_BY_HAND,
        reference="XJ-001",
        paid_on=datetime.date(2026, 11, 25),
        by=county.clerk,
        at=timezone.now(),
    )

    registration = record_and_confirm(county, retiree, DIED)

    assert registration.recovery is not None
    assert registration.recovery.amount == Decimal("5600.00")
    assert list(RecoveryLine.objects.order_by("month").values_list("month", flat=True)) == [OCT, NOV]
    assert FailedPaymentResolution.objects.count() == 1  # no "not due" on top of the payment by hand


def test_a_correction_cancels_a_claim_in_progress_and_the_audit_log_shows_each_step(
    county, paid_through_november, banks
):
    from benefits.models import SurvivorClaim
    from registry.selectors.audit_log import AuditLogFilters, audit_log_page
    from tests.factories import make_id_number

    retiree = paid_through_november
    registration = record_and_confirm(county, retiree, DIED)
    claim = SurvivorClaim.objects.create(
        registration=registration,
        applicant_name="周小海",
        applicant_relation="儿子",
        applicant_id_number=make_id_number(datetime.date(1975, 5, 5)),
        applicant_phone="13800000000",
        bank=banks["psbc"],
        account_number="6221000000000099",
        holder_name="周小海",
        death_year=2026,
        funeral_allowance=Decimal("5000.00"),
        compensation_months=6,
        average_year=2025,
        average_used=Decimal("2500.00"),
        compensation=Decimal("15000.00"),
        withheld_amount=Decimal("0.00"),
        unpaid_amount=Decimal("0.00"),
        total=Decimal("20000.00"),
        prepared_by=county.clerk,
        prepared_at=timezone.now(),
    )

    death_registration_correct(registration=registration, reason="本人健在", by=county.admin)

    claim.refresh_from_db()
    assert claim.status == "cancelled"
    rows = audit_log_page(filters=AuditLogFilters(kind="")).rows
    death_rows = [(row.kind, row.action) for row in rows if row.kind.startswith("death_")]
    assert death_rows == [
        ("death_corrected", "更正误报死亡"),
        ("death_decided", "确认死亡"),
        ("death_recorded", "登记死亡"),
    ]
