"""Certifying, the August suspension job and restoration with back pay (docs/domain.md "Annual eligibility
certification")."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from certification.errors import CertificationError, RetireeNotVisibleError
from certification.models import Campaign, Certification, SuspensionRun
from certification.services import campaign_for_year, certify, suspension_run
from certification.tasks import run_suspension
from pensions.errors import PlanError
from pensions.models import PayoutLine, PayoutPlan, WithheldRelease
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.models import ArrearsItem, Retiree, StatusChange
from registry.months import PensionMonth
from tests.certification.campaigns import campaign_of
from tests.certification.deaths import confirmed_death

IN_PERSON = Certification.Channel.IN_PERSON
AUG_1 = datetime.date(2026, 8, 1)
REASON_2026 = "未在2026年度认证期内完成领取资格认证"


def test_a_year_without_a_campaign_reads_the_default_dates_and_mode_and_makes_no_row(db):
    campaign = Campaign.or_default(2026)
    assert (
        campaign.pk,
        campaign.window_start,
        campaign.window_end,
        campaign.remote_export_deadline,
        campaign.suspension_date,
        campaign.mode,
    ) == (
        None,
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 31),
        datetime.date(2026, 3, 31),
        AUG_1,
        "campaign",
    )
    with pytest.raises(CertificationError) as refused:
        campaign_for_year(2026)
    assert refused.value.message == "2026 年度的认证尚未建立,请系统管理员先在“认证年度”中建立该年度。"
    assert Campaign.objects.count() == 0


def test_certifying_and_the_suspension_job_make_no_campaign(county):
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 4, 15),
        by=county.officer_a,
    )
    run = suspension_run(year=2026, today=AUG_1)
    assert run.suspended_count == 2
    assert Campaign.objects.count() == 0


def test_an_existing_campaign_is_the_one_used(db):
    campaign = campaign_of(2026, suspension_date=datetime.date(2026, 9, 1))
    assert campaign_for_year(2026) == campaign
    assert Campaign.or_default(2026).suspension_date == datetime.date(2026, 9, 1)
    assert Campaign.objects.count() == 1


def test_an_officer_certifies_a_retiree_of_their_township_in_the_window(county):
    result = certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 4, 15),
        by=county.officer_a,
    )
    assert (result.created, result.restored) == (True, False)
    row = Certification.objects.get()
    assert (row.retiree, row.year, row.certified_on, row.channel, row.recorded_by) == (
        county.retiree_a1,
        2026,
        datetime.date(2026, 4, 15),
        "in_person",
        county.officer_a,
    )


def test_a_certification_after_the_window_counts_for_the_year(county):
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 7, 20),
        by=county.officer_a,
    )
    assert Certification.objects.get().year == 2026

    suspension_run(year=2026, today=AUG_1)

    county.retiree_a1.refresh_from_db()
    assert county.retiree_a1.status == "active"


def test_certifying_twice_in_a_year_keeps_the_first(county):
    first = certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 4, 15),
        by=county.officer_a,
    )
    second = certify(
        retiree=county.retiree_a1,
        channel=Certification.Channel.HOME_VISIT,
        visitor_name="刘芳",
        certified_on=datetime.date(2026, 5, 2),
        by=county.clerk,
    )
    assert (second.created, second.restored) == (False, False)
    assert second.certification.pk == first.certification.pk
    assert list(Certification.objects.values_list("certified_on", "channel", "recorded_by")) == [
        (datetime.date(2026, 4, 15), "in_person", county.officer_a.pk)
    ]


def test_a_retiree_of_another_township_is_refused_and_nothing_is_written(county):
    with pytest.raises(RetireeNotVisibleError) as refused:
        certify(
            retiree=county.retiree_b1,
            channel=IN_PERSON,
            certified_on=datetime.date(2026, 4, 15),
            by=county.officer_a,
        )
    assert refused.value.message == "本辖区没有身份证号码为该号码的退休人员,请核对号码。"
    assert "王德胜" not in refused.value.message
    assert Certification.objects.count() == 0
    assert Campaign.objects.count() == 0


def test_a_date_after_today_is_refused(county):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(CertificationError) as refused:
        certify(retiree=county.retiree_a1, channel=IN_PERSON, certified_on=tomorrow, by=county.officer_a)
    assert (refused.value.message, refused.value.field) == ("认证日期不能晚于今天。", "certified_on")
    assert Certification.objects.count() == 0


def test_a_deceased_retiree_is_refused(county, enrol):
    deceased = enrol(status=Retiree.Status.DECEASED)
    with pytest.raises(CertificationError) as refused:
        certify(
            retiree=deceased, channel=IN_PERSON, certified_on=datetime.date(2026, 4, 15), by=county.officer_a
        )
    assert refused.value.message == "该退休人员状态为“死亡”,不能认证。"
    assert Certification.objects.count() == 0


def test_a_retiree_whose_death_a_clerk_confirmed_is_refused(county):
    confirmed_death(county.retiree_a1, by=county.clerk)
    with pytest.raises(CertificationError) as refused:
        certify(
            retiree=county.retiree_a1,
            channel=IN_PERSON,
            certified_on=datetime.date(2026, 4, 15),
            by=county.officer_a,
        )
    assert refused.value.message == "该退休人员已经死亡比对确认,不能认证;如有错误,请与社保局经办人员联系。"
    assert Certification.objects.count() == 0


def test_the_job_suspends_exactly_the_uncertified_active_retirees_once(county, enrol):
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 4, 15),
        by=county.officer_a,
    )
    deceased = enrol(status=Retiree.Status.DECEASED)
    already = enrol(status=Retiree.Status.SUSPENDED)
    # Certified last year only: not certified for 2026
    certify(
        retiree=county.retiree_b1,
        channel=IN_PERSON,
        certified_on=datetime.date(2025, 4, 15),
        by=county.officer_b,
    )

    run = suspension_run(year=2026, today=AUG_1)

    assert (run.year, run.suspended_count) == (2026, 2)
    statuses = {r.pk: r.status for r in Retiree.objects.all()}
    assert statuses == {
        county.retiree_a1.pk: "active",
        county.retiree_a2.pk: "suspended",
        county.retiree_b1.pk: "suspended",
        deceased.pk: "deceased",
        already.pk: "suspended",
    }
    changes = list(
        StatusChange.objects.order_by("retiree_id").values_list(
            "retiree_id", "from_status", "to_status", "effective_date", "reason", "actor__username"
        )
    )
    assert changes == [
        (county.retiree_a2.pk, "active", "suspended", AUG_1, REASON_2026, "system"),
        (county.retiree_b1.pk, "active", "suspended", AUG_1, REASON_2026, "system"),
    ]

    # Again (a retry, the next day's beat): nothing changes
    again = suspension_run(year=2026, today=datetime.date(2026, 8, 2))
    assert again.pk == run.pk
    assert StatusChange.objects.count() == 2
    assert SuspensionRun.objects.count() == 1


def test_the_job_leaves_alone_those_who_retired_during_the_campaign_year(county, enrol):
    # Checked at intake this year: not due until next year's campaign (certification.services.due_before).
    new_this_year, retired_last_day_before = enrol(), enrol()
    Retiree.objects.filter(pk=new_this_year.pk).update(retirement_date=datetime.date(2026, 1, 1))
    Retiree.objects.filter(pk=retired_last_day_before.pk).update(retirement_date=datetime.date(2025, 12, 31))

    run = suspension_run(year=2026, today=AUG_1)

    new_this_year.refresh_from_db()
    retired_last_day_before.refresh_from_db()
    assert (new_this_year.status, retired_last_day_before.status) == ("active", "suspended")
    # The three personas (retired in 2018, uncertified) and the one retired on December 31
    assert run.suspended_count == 4


def test_the_system_account_cannot_sign_in(county):
    suspension_run(year=2026, today=AUG_1)
    system = StatusChange.objects.first().actor
    assert (system.username, system.is_active, system.role, system.has_usable_password()) == (
        "system",
        False,
        "",
        False,
    )


def test_the_12_month_mode_counts_certifications_of_the_last_12_months(county, settings):
    settings.CERTIFICATION_MODE = "rolling_12_months"
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2025, 9, 10),
        by=county.officer_a,
    )
    certify(
        retiree=county.retiree_a2,
        channel=IN_PERSON,
        certified_on=datetime.date(2025, 7, 31),
        by=county.officer_a,
    )

    run = suspension_run(year=2026, today=AUG_1)

    assert Campaign.or_default(2026).mode == "rolling_12_months"
    assert not Campaign.objects.exists()
    assert run.suspended_count == 2
    statuses = dict(Retiree.objects.values_list("name", "status"))
    # 2025-09-10 is within the 12 months up to 2026-08-01; 2025-07-31 is not
    assert statuses == {"张建国": "active", "李秀兰": "suspended", "王德胜": "suspended"}


@time_machine.travel(datetime.datetime(2027, 8, 1, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_in_the_12_month_mode_a_december_certification_counts_for_next_year(county, settings):
    settings.CERTIFICATION_MODE = "rolling_12_months"
    retiree = county.retiree_a1
    january = certify(
        retiree=retiree, channel=IN_PERSON, certified_on=datetime.date(2026, 1, 15), by=county.officer_a
    )
    # Seen alive in December (e.g. by data comparison): recorded too, for the run of August 2027
    december = certify(
        retiree=retiree,
        channel=Certification.Channel.HOME_VISIT,
        visitor_name="李建军",
        certified_on=datetime.date(2026, 12, 5),
        by=county.officer_a,
    )
    # A third one before August 2027 counts for the same run: the December record is kept
    march = certify(
        retiree=retiree, channel=IN_PERSON, certified_on=datetime.date(2027, 3, 1), by=county.officer_a
    )

    assert (january.created, january.certification.year) == (True, 2026)
    assert (december.created, december.certification.year) == (True, 2027)
    assert (march.created, march.certification.pk) == (False, december.certification.pk)
    # The August 2027 run looks back to 2026-08-02: the December record keeps them paid
    suspension_run(year=2027, today=datetime.date(2027, 8, 1))
    retiree.refresh_from_db()
    assert retiree.status == "active"


@time_machine.travel(datetime.datetime(2026, 12, 31, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_in_the_campaign_mode_a_december_certification_is_kept_out_of_the_same_year(county):
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 1, 15),
        by=county.officer_a,
    )
    second = certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 12, 5),
        by=county.officer_a,
    )
    assert (second.created, second.certification.certified_on) == (False, datetime.date(2026, 1, 15))


def test_a_certification_after_the_job_restores_the_retiree(county):
    suspension_run(year=2026, today=AUG_1)

    result = certify(
        retiree=county.retiree_b1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 8, 5),
        by=county.officer_b,
    )

    assert (result.created, result.restored) == (True, True)
    county.retiree_b1.refresh_from_db()
    assert county.retiree_b1.status == "active"
    assert list(
        StatusChange.objects.filter(retiree=county.retiree_b1)
        .order_by("id")
        .values_list("to_status", "effective_date", "actor__username")
    ) == [("suspended", AUG_1, "system"), ("active", datetime.date(2026, 8, 5), "officer_b")]


def test_a_record_of_an_earlier_year_does_not_lift_the_suspension(county):
    # A late-returned form of last year's remote batch: last year's record is kept, the suspension stays.
    certify(
        retiree=county.retiree_b1, channel=IN_PERSON, certified_on=datetime.date(2025, 4, 15), by=county.clerk
    )
    suspension_run(year=2026, today=AUG_1)

    result = certify(
        retiree=county.retiree_b1,
        channel=Certification.Channel.REMOTE_ASSISTED,
        certifying_office="深圳市社会保险基金管理局",
        certified_on=datetime.date(2025, 5, 20),
        by=county.clerk,
    )

    assert (result.created, result.restored) == (False, False)
    county.retiree_b1.refresh_from_db()
    assert county.retiree_b1.status == "suspended"
    assert list(
        StatusChange.objects.filter(retiree=county.retiree_b1).values_list("to_status", flat=True)
    ) == ["suspended"]
    assert list(Certification.objects.filter(retiree=county.retiree_b1).values_list("year", flat=True)) == [
        2025
    ]


def test_a_suspension_by_a_clerk_is_not_lifted_by_certifying(county, enrol):
    suspended = enrol(status=Retiree.Status.SUSPENDED)
    result = certify(
        retiree=suspended, channel=IN_PERSON, certified_on=datetime.date(2026, 4, 15), by=county.officer_a
    )
    assert (result.created, result.restored) == (True, False)
    suspended.refresh_from_db()
    assert suspended.status == "suspended"


def test_restoration_releases_exactly_the_withheld_months_once(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    suspension_run(year=2026, today=AUG_1)
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    september = plan_draft(month=PensionMonth(2026, 9), by=county.clerk)
    for plan in (august, september):
        plan_submit(plan=plan, by=county.clerk)
        plan_approve(plan=plan, by=county.reviewer)
    october = plan_draft(month=PensionMonth(2026, 10), by=county.clerk)  # still a draft
    assert list(
        PayoutLine.objects.filter(retiree=retiree)
        .order_by("plan__month")
        .values_list("plan", "is_withheld", "withheld", "net")
    ) == [
        (august.pk, True, Decimal("2650.00"), Decimal("0.00")),
        (september.pk, True, Decimal("2650.00"), Decimal("0.00")),
        (october.pk, True, Decimal("2650.00"), Decimal("0.00")),
    ]

    result = certify(
        retiree=retiree, channel=IN_PERSON, certified_on=datetime.date(2026, 9, 20), by=county.officer_a
    )

    # The approved months come back as arrears; the draft's month is simply made again, now paid.
    assert result.restored is True
    items = list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "amount", "reason"))
    assert items == [
        (PensionMonth(2026, 8), Decimal("2650.00"), "restoration"),
        (PensionMonth(2026, 9), Decimal("2650.00"), "restoration"),
    ]
    assert WithheldRelease.objects.count() == 2

    # Certified again: kept the first, nothing released twice
    again = certify(
        retiree=retiree, channel=IN_PERSON, certified_on=datetime.date(2026, 9, 21), by=county.clerk
    )
    assert (again.created, again.restored) == (False, False)
    assert ArrearsItem.objects.filter(retiree=retiree).count() == 2

    october = plan_draft(month=PensionMonth(2026, 10), by=county.clerk)
    line = PayoutLine.objects.get(plan=october, retiree=retiree)
    assert (line.is_withheld, line.regular, line.arrears, line.net) == (
        False,
        Decimal("2650.00"),
        Decimal("5300.00"),
        Decimal("7950.00"),
    )


def test_the_beat_schedule_runs_the_job_daily_at_three():
    entry = settings.CELERY_BEAT_SCHEDULE["certification-suspension"]
    assert entry["task"] == "certification.tasks.run_suspension"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {0})


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_suspends_on_and_after_the_suspension_date_only(county, worker):
    shanghai = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime.datetime(2026, 7, 31, 3, 0, tzinfo=shanghai), tick=False):
        assert run_suspension.delay().get(timeout=60) is None
    assert SuspensionRun.objects.count() == 0
    assert Retiree.objects.filter(status="suspended").count() == 0

    with time_machine.travel(datetime.datetime(2026, 8, 1, 3, 0, tzinfo=shanghai), tick=False):
        run_id = run_suspension.delay().get(timeout=60)
    run = SuspensionRun.objects.get()
    assert (run.pk, run.year, run.suspended_count) == (run_id, 2026, 3)

    with time_machine.travel(datetime.datetime(2026, 8, 2, 3, 0, tzinfo=shanghai), tick=False):
        assert run_suspension.delay(2026).get(timeout=60) == run_id
    assert StatusChange.objects.count() == 3


def test_a_plan_submitted_before_a_restoration_must_be_made_again(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    suspension_run(year=2026, today=AUG_1)
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    plan_submit(plan=august, by=county.clerk)

    certify(retiree=retiree, channel=IN_PERSON, certified_on=datetime.date(2026, 8, 5), by=county.officer_a)

    # Its withheld line was not released (the plan was not approved); approving it would leave that month
    # neither paid nor owed.
    assert ArrearsItem.objects.filter(retiree=retiree).count() == 0
    with pytest.raises(PlanError, match="已恢复发放"):
        plan_approve(plan=august, by=county.reviewer)
    august.refresh_from_db()
    assert august.status == "submitted"


def test_a_plan_made_before_the_suspension_job_must_be_made_again(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 5, 6),
        by=county.officer_a,
    )
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)  # drafted in July: everyone paid
    suspension_run(year=2026, today=AUG_1)

    # Submitted as it is, August would pay people whose payments are now suspended
    with pytest.raises(PlanError) as refused:
        plan_submit(plan=august, by=county.clerk)
    assert "已暂停发放:请重新生成计划后再提交。" in refused.value.message
    assert retiree.name in refused.value.message
    august.refresh_from_db()
    assert august.status == "draft"

    # Made again, their lines are withheld and the plan goes on
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    line = PayoutLine.objects.get(plan=august, retiree=retiree)
    assert (line.is_withheld, line.net, line.withheld) == (True, Decimal("0.00"), Decimal("2650.00"))
    plan_submit(plan=august, by=county.clerk)
    assert plan_approve(plan=august, by=county.reviewer).status == "approved"


def test_a_plan_submitted_before_the_suspension_job_cannot_be_approved(county, enrol):
    enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    plan_submit(plan=august, by=county.clerk)
    suspension_run(year=2026, today=AUG_1)

    with pytest.raises(PlanError, match="已暂停发放:请退回并重新生成计划。"):
        plan_approve(plan=august, by=county.reviewer)
    august.refresh_from_db()
    assert august.status == "submitted"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_after_the_job_commits_the_worker_makes_the_draft_plans_again(county, enrol, worker):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    certify(
        retiree=county.retiree_a1,
        channel=IN_PERSON,
        certified_on=datetime.date(2026, 5, 6),
        by=county.officer_a,
    )
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)  # drafted in July by the beat
    assert PayoutLine.objects.get(plan=august, retiree=retiree).is_withheld is False

    suspension_run(year=2026, today=AUG_1)

    def withheld() -> bool:
        return PayoutLine.objects.filter(plan__month=august.month, retiree=retiree, is_withheld=True).exists()

    deadline = time.monotonic() + 60
    while not withheld() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = PayoutLine.objects.get(plan__month=august.month, retiree=retiree)
    assert (line.is_withheld, line.net, line.withheld) == (True, Decimal("0.00"), Decimal("2650.00"))
    august = PayoutPlan.objects.get(month=august.month)
    assert august.status == "draft"
    plan_submit(plan=august, by=county.clerk)  # nothing left to refuse
