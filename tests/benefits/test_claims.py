"""The family's claim through its services (docs/claims.md): amounts computed from the parameters and the
deceased's months, the offset only with consent, four eyes, the approval paying once through a one-off payment
that releases exactly the months up to the death month."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from benefits.errors import BenefitError
from benefits.models import BenefitParameter, ClaimTransition, SurvivorClaim
from benefits.one_off import register_kind
from benefits.selectors.claims import claim_breakdown, claims_awaiting
from benefits.services.claims import (
    ClaimFigures,
    claim_approve,
    claim_cancel,
    claim_recompute,
    claim_reject,
    claim_submit,
)
from pensions.models import ArrearsRelease, OneOffPayment, PayoutLine, RecoveryOffset, WithheldRelease
from pensions.one_off_kinds import one_off_kind
from pensions.selectors.deaths import death_months
from pensions.selectors.recoveries import recovery_balance
from pensions.services import withheld_release
from registry.approvals import kinds_for
from registry.models import ArrearsItem, Recovery, Retiree
from registry.months import PensionMonth
from registry.selectors.audit_log import AuditLogFilters, audit_log_page
from tests.benefits.claim_flow import pay_month, prepare, scan, set_parameters
from tests.benefits.deaths_flow import record_and_confirm

M = PensionMonth
D = Decimal
CONSENT = "申请人 2026-11-20 签字同意以抚恤待遇抵扣死亡后多发养老金(申请表第 2 页)"


@pytest.fixture
def died_in_september(county, enrol, settings):
    """The issue's case: 2,800.00 a month, October's and November's plans paid, death on 2026-09-20 recorded
    and confirmed through the death services, whose confirmation opens the after-death recovery of the two
    months paid after it (5,600.00)."""
    settings.PAYOUT_FIRST_MONTH = "2026-10"
    retiree = enrol(rates=((M(2025, 1), "2800.00"),), name="钱老汉")
    pay_month(county, M(2026, 10))
    pay_month(county, M(2026, 11))
    months = death_months(retiree=retiree, died_on=datetime.date(2026, 9, 20))
    assert months.recovered_total == D("5600.00")  # the recovery the confirmation opens
    registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 20))
    assert registration.recovery is not None and registration.recovery.amount == D("5600.00")
    set_parameters(county.admin)
    return registration


def test_the_issues_case_pays_30400_and_settles_the_recovery(county, banks, died_in_september):
    registration = died_in_september
    claim = prepare(registration, county.clerk, banks["psbc"].pk, consent=CONSENT)

    assert claim.status == SurvivorClaim.Status.DRAFT
    assert claim.funeral_allowance == D("4000.00")
    assert (claim.average_year, claim.average_published, claim.average_used) == (
        2025,
        D("3200.00"),
        D("3200.00"),
    )
    assert claim.average_computed is None  # no plan paid 2025 in this system
    assert claim.compensation_months == 10
    assert claim.compensation == D("32000.00")
    assert claim.funeral_allowance + claim.compensation == D("36000.00")
    assert (claim.withheld_amount, claim.unpaid_amount) == (D("0.00"), D("0.00"))
    assert claim.offset_amount == D("5600.00")
    assert claim.total == D("30400.00")

    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    approved = claim_approve(claim=claim, by=county.reviewer, seen=ClaimFigures.of(claim))

    assert approved.status == SurvivorClaim.Status.APPROVED
    payment = OneOffPayment.objects.get(kind=OneOffPayment.Kind.DEATH_CLAIM, source_id=claim.pk)
    assert approved.payment_id == payment.pk
    assert payment.amount == D("30400.00")
    assert (payment.payee_name, payment.account_number, payment.bank_id) == (
        "张小明",
        "6217001234567890123",
        banks["psbc"].pk,
    )
    assert payment.batch.total == D("30400.00")
    recovery = registration.recovery
    recovery.refresh_from_db()
    assert recovery_balance(recovery=recovery) == D("0.00")
    assert recovery.status == Recovery.Status.SETTLED
    offset = RecoveryOffset.objects.get(recovery=recovery)
    assert (offset.claim_id, offset.amount, offset.consent, offset.by) == (
        claim.pk,
        D("5600.00"),
        CONSENT,
        county.reviewer,
    )
    assert [t.to_status for t in ClaimTransition.objects.filter(claim=claim)] == [
        "draft",
        "submitted",
        "approved",
    ]


def test_without_consent_there_is_no_offset(county, banks, died_in_september):
    claim = prepare(died_in_september, county.clerk, banks["psbc"].pk)
    assert (claim.offset_amount, claim.total) == (D("0.00"), D("36000.00"))
    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    claim_approve(claim=claim, by=county.reviewer, seen=ClaimFigures.of(claim))
    recovery = died_in_september.recovery
    recovery.refresh_from_db()
    assert recovery.status == Recovery.Status.OPEN
    assert recovery_balance(recovery=recovery) == D("5600.00")
    assert not RecoveryOffset.objects.exists()
    # Nor can an offset be stored without it: the database refuses.
    with pytest.raises(IntegrityError), transaction.atomic():
        SurvivorClaim.objects.filter(pk=claim.pk).update(offset_amount=D("100.00"), total=D("35900.00"))


def test_missing_parameters_are_refused_in_chinese(county, banks, enrol, settings):
    settings.PAYOUT_FIRST_MONTH = "2026-10"
    retiree = enrol(rates=((M(2025, 1), "2800.00"),))
    registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 20))
    with pytest.raises(BenefitError, match="尚未设置 2026 年的丧葬补助金标准"):
        prepare(registration, county.clerk, banks["psbc"].pk)
    set_parameters(county.admin, published=None)
    with pytest.raises(BenefitError, match="2025 年没有已审批的发放计划"):
        prepare(registration, county.clerk, banks["psbc"].pk)
    assert not SurvivorClaim.objects.exists()


def test_only_a_confirmed_death_and_only_once(county, banks, died_in_september):
    registration = died_in_september
    registration.status = registration.Status.PENDING
    registration.save(update_fields=["status"])
    with pytest.raises(BenefitError, match="只有已确认的死亡登记"):
        prepare(registration, county.clerk, banks["psbc"].pk)
    registration.status = registration.Status.CONFIRMED
    registration.save(update_fields=["status"])
    prepare(registration, county.clerk, banks["psbc"].pk)
    with pytest.raises(BenefitError, match="不能重复办理"):
        prepare(registration, county.clerk, banks["psbc"].pk)
    assert SurvivorClaim.objects.count() == 1


def test_documents_are_checked_by_content_and_bad_input_writes_nothing(county, banks, died_in_september):
    from benefits.services.claims import claim_prepare
    from tests.benefits.claim_flow import applicant

    fake = SimpleUploadedFile("relation.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(BenefitError, match="亲属关系证明的内容与文件类型不符") as refused:
        claim_prepare(
            registration=died_in_september,
            applicant=applicant(banks["psbc"].pk),
            applicant_id_copy=scan("id.pdf"),
            relation_proof=fake,
            by=county.clerk,
        )
    assert refused.value.field == "relation_proof"
    bad_id = applicant(banks["psbc"].pk)
    bad_id = type(bad_id)(**{**bad_id.__dict__, "id_number": "360721196805170000"})
    with pytest.raises(BenefitError) as refused:
        claim_prepare(
            registration=died_in_september,
            applicant=bad_id,
            applicant_id_copy=scan("id.pdf"),
            relation_proof=scan("r.pdf"),
            by=county.clerk,
        )
    assert refused.value.field == "applicant_id_number"
    assert not SurvivorClaim.objects.exists()


def test_four_eyes_in_the_service_and_the_database(county, banks, died_in_september):
    claim = prepare(died_in_september, county.admin, banks["psbc"].pk, consent=CONSENT)
    claim_submit(claim=claim, by=county.admin)
    claim.refresh_from_db()
    assert claim not in claims_awaiting(user=county.admin)
    assert claim in claims_awaiting(user=county.reviewer)
    with pytest.raises(BenefitError, match="不能审批自己经办"):
        claim_approve(claim=claim, by=county.admin, seen=ClaimFigures.of(claim))
    with pytest.raises(PermissionDenied):
        claim_approve(claim=claim, by=county.clerk, seen=ClaimFigures.of(claim))
    with pytest.raises(BenefitError, match="不能退回自己经办"):
        claim_reject(claim=claim, by=county.admin, reason="材料不全")
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.SUBMITTED
    assert not OneOffPayment.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurvivorClaim.objects.filter(pk=claim.pk).update(approved_by=county.admin)


def test_figures_changed_since_are_refused_until_recomputed(county, banks, died_in_september):
    claim = prepare(died_in_september, county.clerk, banks["psbc"].pk, consent=CONSENT)
    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    seen = ClaimFigures.of(claim)
    # The admin publishes a corrected 2025 average after the claim was submitted.
    from django.utils import timezone

    BenefitParameter.objects.create(
        kind=BenefitParameter.Kind.PUBLISHED_AVERAGE,
        year=2025,
        value=D("3300.00"),
        set_by=county.admin,
        set_at=timezone.now(),
    )
    with pytest.raises(BenefitError, match="实付金额应为 ¥31,400.00"):
        claim_approve(claim=claim, by=county.reviewer, seen=seen)
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.SUBMITTED
    assert not OneOffPayment.objects.exists() and not RecoveryOffset.objects.exists()
    assert not ArrearsItem.objects.filter(retiree=died_in_september.retiree).exists()

    claim_reject(claim=claim, by=county.reviewer, reason="2025 年月人均养老金已更新,请重新计算")
    claim.refresh_from_db()
    assert (claim.status, claim.rejection_reason) == ("draft", "2025 年月人均养老金已更新,请重新计算")
    claim = claim_recompute(claim=claim, by=county.clerk)
    assert (claim.compensation, claim.total) == (D("33000.00"), D("31400.00"))
    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    # A stale page (the figures the reviewer saw before) is refused too.
    with pytest.raises(BenefitError, match="刷新页面"):
        claim_approve(claim=claim, by=county.reviewer, seen=seen)
    claim_approve(claim=claim, by=county.reviewer, seen=ClaimFigures.of(claim))
    assert OneOffPayment.objects.get().amount == D("31400.00")


def test_suspended_in_august_died_september_10(county, banks, enrol, settings):
    """September's withheld amount is in the claim and released to the one-off payment; October's is not, and
    a
    later restoration releases nothing twice."""
    settings.PAYOUT_FIRST_MONTH = "2026-09"
    retiree = enrol(rates=((M(2025, 1), "2800.00"),), status=Retiree.Status.SUSPENDED, name="孙停发")
    pay_month(county, M(2026, 9))
    pay_month(county, M(2026, 10))
    registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 10))
    set_parameters(county.admin)
    september = PayoutLine.objects.get(retiree=retiree, plan__month=M(2026, 9).number)
    october = PayoutLine.objects.get(retiree=retiree, plan__month=M(2026, 10).number)
    assert (september.is_withheld, september.withheld, october.withheld) == (True, D("2800.00"), D("2800.00"))

    claim = prepare(registration, county.clerk, banks["psbc"].pk)
    assert (claim.withheld_amount, claim.unpaid_amount, claim.total) == (
        D("2800.00"),
        D("0.00"),
        D("38800.00"),
    )
    breakdown = claim_breakdown(claim=claim)
    assert [(m.month, m.amount, m.part) for m in breakdown.months] == [(M(2026, 9), D("2800.00"), "withheld")]

    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    claim_approve(claim=claim, by=county.reviewer, seen=ClaimFigures.of(claim))
    claim.refresh_from_db()

    release = WithheldRelease.objects.get(line=september)
    assert release.arrears_item.amount == D("2800.00")
    paid_by = ArrearsRelease.objects.get(arrears_item=release.arrears_item)
    assert (paid_by.one_off_payment_id, paid_by.line_id) == (claim.payment_id, None)
    assert not WithheldRelease.objects.filter(line=october).exists()
    assert claim.payment.amount == D("38800.00")
    assert [(m.month, m.amount) for m in claim_breakdown(claim=claim).months] == [(M(2026, 9), D("2800.00"))]

    # A later restoration (a corrected death) releases October only: September is never released twice.
    items = withheld_release(retiree=retiree, by=county.clerk)
    assert [(item.month, item.amount) for item in items] == [(M(2026, 10), D("2800.00"))]
    assert WithheldRelease.objects.filter(line=september).count() == 1


def test_unpaid_months_and_failed_payments_become_the_familys_arrears(county, banks, enrol, settings):
    """Months up to the death month no approved plan paid (the plan made after the death was registered) are
    paid with the claim, as arrears items the payment releases; their sum is the claim's unpaid amount."""
    settings.PAYOUT_FIRST_MONTH = "2026-08"
    retiree = enrol(rates=((M(2025, 1), "2800.00"),), name="周未发")
    pay_month(county, M(2026, 8))
    registration = record_and_confirm(county, retiree, datetime.date(2026, 9, 30))
    set_parameters(county.admin)
    claim = prepare(registration, county.clerk, banks["psbc"].pk)
    assert (claim.withheld_amount, claim.unpaid_amount, claim.total) == (
        D("0.00"),
        D("2800.00"),
        D("38800.00"),
    )
    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    claim_approve(claim=claim, by=county.reviewer, seen=ClaimFigures.of(claim))
    item = ArrearsItem.objects.get(retiree=retiree)
    assert (item.month, item.amount, item.reason) == (
        M(2026, 9),
        D("2800.00"),
        ArrearsItem.Reason.DUE_BEFORE_DEATH,
    )
    claim.refresh_from_db()
    assert item.release.one_off_payment_id == claim.payment_id
    after = death_months(retiree=retiree, died_on=registration.died_on)
    assert after.unpaid_total == D("0.00")  # nothing left owed: the claim paid it


def test_the_payment_result_moves_the_claim(county, banks, died_in_september):
    register_kind()
    claim = prepare(died_in_september, county.clerk, banks["psbc"].pk, consent=CONSENT)
    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    claim_approve(claim=claim, by=county.reviewer, seen=ClaimFigures.of(claim))
    claim.refresh_from_db()
    kind = one_off_kind(OneOffPayment.Kind.DEATH_CLAIM)
    assert kind is not None
    payment = claim.payment
    assert kind.source_url(payment) == f"/deaths/claims/{claim.pk}/"

    payment.payment_status = OneOffPayment.PaymentStatus.FAILED
    payment.save(update_fields=["payment_status"])
    kind.on_result(payment)
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.APPROVED

    payment.payment_status = OneOffPayment.PaymentStatus.PAID
    payment.save(update_fields=["payment_status"])
    kind.on_result(payment)
    kind.on_result(payment)  # told twice: moved once
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.PAID
    assert ClaimTransition.objects.filter(claim=claim, to_status="paid").count() == 1


def test_inbox_and_audit_log_show_claims(county, banks, died_in_september):
    claim = prepare(died_in_september, county.clerk, banks["psbc"].pk, consent=CONSENT)
    claim_submit(claim=claim, by=county.clerk)
    [kind] = [k for k in kinds_for(county.reviewer) if k.key == "survivor_claim"]
    assert kind.label == "丧葬抚恤待遇"
    assert kind.count(county.reviewer) == 1
    [item] = kind.items(county.reviewer, 10)
    assert "¥30,400.00" in item.title and item.prepared_by == county.clerk.display_name
    assert kind.count(county.clerk) == 0 or "survivor_claim" not in [k.key for k in kinds_for(county.clerk)]
    claim.refresh_from_db()
    claim_reject(claim=claim, by=county.reviewer, reason="请补充火化证明")
    rows = audit_log_page(filters=AuditLogFilters(kind="survivor_claim")).rows
    assert [(row.action, row.who) for row in rows] == [
        ("退回", county.reviewer.display_name),
        ("提交审批", county.clerk.display_name),
        ("经办(新建)", county.clerk.display_name),
    ]


def test_cancel_only_before_approval(county, banks, died_in_september):
    claim = prepare(died_in_september, county.clerk, banks["psbc"].pk)
    with pytest.raises(BenefitError, match="撤销原因"):
        claim_cancel(claim=claim, by=county.clerk, reason=" ")
    claim_cancel(claim=claim, by=county.clerk, reason="家属撤回申请")
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.CANCELLED
    with pytest.raises(BenefitError, match="已撤销"):
        claim_submit(claim=claim, by=county.clerk)


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_pay_once(county, banks, died_in_september):
    claim = prepare(died_in_september, county.clerk, banks["psbc"].pk, consent=CONSENT)
    claim_submit(claim=claim, by=county.clerk)
    claim.refresh_from_db()
    seen = ClaimFigures.of(claim)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(checker):
        try:
            barrier.wait(timeout=10)
            claim_approve(claim=SurvivorClaim.objects.get(pk=claim.pk), by=checker, seen=seen)
            outcomes.append("approved")
        except BenefitError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(checker,)) for checker in (county.reviewer, county.admin)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == sorted(["approved", "该丧葬抚恤待遇是“已审批”状态,不能进行此操作。"])
    assert OneOffPayment.objects.filter(source_id=claim.pk).count() == 1
    assert RecoveryOffset.objects.count() == 1
    assert OneOffPayment.objects.get().amount == D("30400.00")
