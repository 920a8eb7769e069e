"""Back-dated information changes (零星调资) across an applied annual adjustment: the adjustment is
recomputed on the new base with the person's new facts, written as the next revision of its month, and
the difference is settled month by month (registry.services.changes,
registry.selectors.changes.rate_change_effect).

The county is the adjustment's (tests/pensions/adjustment_flow.py): the 2026 adjustment (定额 50.00,
挂钩 1.5 %, 1.00 per contribution year up to 15 and 1.50 above, +20/30/50 at 70/75/80) applied on
3 July 2026 with January–June paid.

Which months are settled: rate_change_effect takes every month from the effective month up to (not including)
first_open_month(today, PAYOUT_PLAN_DAY). Approving on 4 July, before the plan day (10), July's plan is still
to be made, so the months settled end with June. It goes by the date alone and needs no plan: 2025-06…2025-12
were paid before this system's plans (the county has none for them) and are settled all the same, at the
rates in force then.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from pensions.models import ArrearsRelease, PayoutLine
from pensions.services import plan_draft
from registry.errors import ChangeRequestError
from registry.models import ArrearsItem, Bank, ChangeRequest, PensionRate, Recovery
from registry.months import PensionMonth
from registry.selectors.changes import facts_changed_by, rate_change_effect
from registry.services import change_request_approve, change_request_create
from tests.conftest import County
from tests.factories import BankFactory, PensionRateFactory
from tests.pensions.adjustment_flow import (
    JAN,
    JUL,
    SH,
    People,
    first_half_paid,
    make_people,
    rates_of,
    run_and_apply,
    set_published,
)

pytestmark = pytest.mark.django_db

D = Decimal
M = PensionMonth
IA = PensionRate.Reason.INDIVIDUAL_ADJUSTMENT
AA = PensionRate.Reason.ANNUAL_ADJUSTMENT
JUN_2025 = M(2025, 6)
REQUESTED = datetime.datetime(2026, 7, 3, 15, 0, tzinfo=SH)
APPROVED = datetime.datetime(2026, 7, 4, 9, 0, tzinfo=SH)
MONTHS_2025 = [M(2025, n) for n in range(6, 13)]
MONTHS_2026 = [M(2026, n) for n in range(1, 7)]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PAYOUT_PLAN_DAY = 10


@pytest.fixture
def world(county: County) -> People:
    bank = BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT)
    people = make_people(county, bank)
    set_published(county.admin)
    first_half_paid(county, people)
    run_and_apply(county)
    return people


def scan() -> SimpleUploadedFile:
    return SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n% scan\n", content_type="application/pdf")


def request(county: Any, retiree: Any, field: str, value: dict[str, Any], amount: str) -> ChangeRequest:
    with time_machine.travel(REQUESTED, tick=False):
        return change_request_create(
            retiree=retiree,
            field=field,
            new_value=value,
            reason="档案核对更正",
            document=scan(),
            approval_reference="赣人社字〔2026〕31号",
            new_amount=amount,
            effective_month=JUN_2025,
            by=county.clerk,
        )


def approve(county: Any, change: ChangeRequest) -> None:
    with time_machine.travel(APPROVED, tick=False):
        change_request_approve(change_request=change, by=county.reviewer)


def rate_change_arrears(retiree: Any) -> list[Any]:
    return list(
        ArrearsItem.objects.filter(retiree=retiree, reason=ArrearsItem.Reason.RATE_CHANGE)
        .order_by("month")
        .values_list("month", "amount")
    )


def test_a_back_dated_birth_date_crossing_the_adjustment_recomputes_it(county: Any, world: People) -> None:
    """THE done-when test. A: 3000.00, 20 years, registered born 1961 (65 in 2026: no tier); really born 1955
    (71 in 2026: +20), and the HR bureau's new amount from 2025-06 is 3050.00.

    By hand: 2025-06…2025-12: 3050.00 − 3000.00 = +50.00 a month (7 months, 350.00).
    2026 adjustment on 3050.00 at 71: 50 + 3050 × 1.5 % (45.75) + 15 × 1.00 + 5 × 1.50 (22.50) + 20 = 138.25,
    new 3188.25; before: 3117.50 (rise 117.50 on 3000.00): +70.75 a month, January–June (6 months, 424.50)."""
    a = world.a
    assert rates_of(a) == [(M(2018, 4), 0, D("3000.00"), "initial"), (JAN, 0, D("3117.50"), AA)]
    change = request(county, a, ChangeRequest.Field.BIRTH_DATE, {"birth_date": "1955-03-10"}, "3050.00")

    # What the checker is shown before approving: the recomputed adjustment and every month's difference.
    with time_machine.travel(APPROVED, tick=False):
        effect = rate_change_effect(
            retiree=a,
            new_amount=D("3050.00"),
            effective_month=JUN_2025,
            changed=facts_changed_by(change.field, change.new_value),
        )
    assert [
        (item.year, item.month, item.old_amount, item.new_amount, item.rise) for item in effect.adjustments
    ] == [(2026, JAN, D("3117.50"), D("3188.25"), D("138.25"))]
    assert [(m.month, m.old_amount, m.new_amount) for m in effect.months] == [
        *[(month, D("3000.00"), D("3050.00")) for month in MONTHS_2025],
        *[(month, D("3117.50"), D("3188.25")) for month in MONTHS_2026],
    ]
    assert (effect.kind, effect.arrears_total, effect.recovery_total) == ("arrears", D("774.50"), D("0.00"))

    approve(county, change)

    assert rates_of(a) == [
        (M(2018, 4), 0, D("3000.00"), "initial"),
        (JUN_2025, 0, D("3050.00"), IA),
        (JAN, 0, D("3117.50"), AA),
        (JAN, 1, D("3188.25"), AA),  # the 2026 adjustment recomputed: the next revision of January
    ]
    assert PensionRate.objects.get(retiree=a, effective_month=JAN.number, revision=1).note == (
        "2026 年度养老金调整(调待),重新计算"
    )
    expected = [(month, D("50.00")) for month in MONTHS_2025] + [(month, D("70.75")) for month in MONTHS_2026]
    assert rate_change_arrears(a) == expected
    assert set(
        ArrearsItem.objects.filter(retiree=a, reason="rate_change").values_list("change_request", flat=True)
    ) == {change.pk}
    assert not Recovery.objects.filter(retiree=a).exists()

    # July's plan pays the new amount and releases exactly those arrears (and the adjustment's 6 × 117.50).
    # Drafted only: the adjustment's rates carry the database's own now(), later than any travelled-to day, so
    # submitting a plan drafted "on 5 July" would be refused as made before them.
    with time_machine.travel(datetime.datetime(2026, 7, 5, 9, 0, tzinfo=SH), tick=False):
        july = plan_draft(month=JUL, by=county.clerk)
    line = PayoutLine.objects.get(plan=july, retiree=a)
    assert line.regular == D("3188.25")
    released = ArrearsRelease.objects.filter(line=line, arrears_item__reason=ArrearsItem.Reason.RATE_CHANGE)
    assert sorted((r.arrears_item.month, r.arrears_item.amount) for r in released) == expected
    assert sum(r.arrears_item.amount for r in released) == D("774.50")
    assert line.arrears == D("774.50") + 6 * D("117.50")


def test_a_fall_across_the_adjustment_is_one_recovery_of_every_falling_month(
    county: Any, world: People
) -> None:
    """B: 2865.50, 15 years, registered born 1954 (72: +20); really born 1958 (68: no tier), new amount
    2800.00 from 2025-06. 2025: −65.50 × 7 = −458.50. 2026 on 2800.00 at 68: 50 + 42.00 + 15 = 107.00, new
    2907.00; before 2865.50 + 127.98 = 2993.48: −86.48 × 6 = −518.88. Recovery 977.38."""
    b = world.b
    change = request(county, b, ChangeRequest.Field.BIRTH_DATE, {"birth_date": "1958-05-20"}, "2800.00")
    approve(county, change)
    assert rates_of(b)[-2:] == [(JAN, 0, D("2993.48"), AA), (JAN, 1, D("2907.00"), AA)]
    assert rate_change_arrears(b) == []
    recovery = Recovery.objects.get(retiree=b)
    assert (recovery.amount, recovery.from_month, recovery.to_month, recovery.change_request_id) == (
        D("977.38"),
        JUN_2025,
        M(2026, 6),
        change.pk,
    )


def test_some_months_rise_and_others_fall(client: Any, county: Any, world: People) -> None:
    """A really born 1955 (+20 from 2026) but the new amount from 2025-06 is 2990.00: 2025 falls by 10.00 a
    month (70.00, a recovery); 2026 on 2990.00 at 71: 50 + 44.85 + 22.50 + 20 = 137.35, new 3127.35 against
    3117.50: +9.85 a month (six arrears items, 59.10)."""
    a = world.a
    change = request(county, a, ChangeRequest.Field.BIRTH_DATE, {"birth_date": "1955-03-10"}, "2990.00")
    client.force_login(county.reviewer)
    detail = reverse("change-request-detail", args=[change.pk])
    with time_machine.travel(APPROVED, tick=False):
        shown = client.get(detail).content.decode()
    assert "补发 6 个月,合计 ¥59.10(每月一笔补发项);多发 7 个月,合计 ¥70.00,将登记为一笔追回项。" in shown
    approve(county, change)
    recorded = client.get(detail).content.decode()
    assert 'id="arrears-recorded"' in recorded and 'id="recovery-recorded"' in recorded
    assert rates_of(a)[-1] == (JAN, 1, D("3127.35"), AA)
    assert rate_change_arrears(a) == [(month, D("9.85")) for month in MONTHS_2026]
    recovery = Recovery.objects.get(retiree=a)
    assert (recovery.amount, recovery.from_month, recovery.to_month) == (D("70.00"), JUN_2025, M(2025, 12))


def test_contribution_months_recompute_the_years_component(county: Any, world: People) -> None:
    """A: 240 → 300 contribution months (25 years), new amount 3040.00 from 2025-06. 2025: +40.00 × 7. 2026 on
    3040.00: 50 + 45.60 + 15 × 1.00 + 10 × 1.50 (30.00) = 125.60, new 3165.60 against 3117.50: +48.10 × 6."""
    a = world.a
    change = request(
        county, a, ChangeRequest.Field.CONTRIBUTION_MONTHS, {"contribution_months": "300"}, "3040.00"
    )
    assert change.old_value["contribution_months"] == 240
    approve(county, change)
    a.refresh_from_db()
    assert a.contribution_months == 300
    assert rates_of(a)[-1] == (JAN, 1, D("3165.60"), AA)
    assert rate_change_arrears(a) == [(m, D("40.00")) for m in MONTHS_2025] + [
        (m, D("48.10")) for m in MONTHS_2026
    ]


@pytest.mark.parametrize(("value", "message"), [("721", "0 到 720"), ("12.5", "整月数"), ("240", "相同")])
def test_contribution_months_refusals_write_nothing(
    county: Any, world: People, value: str, message: str
) -> None:
    before = ChangeRequest.objects.count()
    with pytest.raises(ChangeRequestError, match=message) as error:
        request(
            county,
            world.a,
            ChangeRequest.Field.CONTRIBUTION_MONTHS,
            {"contribution_months": value},
            "3040.00",
        )
    assert error.value.field in ("contribution_months", "new_value")
    assert ChangeRequest.objects.count() == before


def test_crossing_a_later_individual_change_is_refused(county: Any, world: People) -> None:
    a = world.a
    PensionRateFactory.create(retiree=a, amount=D("3200.00"), effective_month=M(2026, 3), reason=IA)
    rates = PensionRate.objects.count()
    with pytest.raises(ChangeRequestError, match="不能早于或等于该人员 2026-03 起的零星调资标准") as error:
        request(county, a, ChangeRequest.Field.BIRTH_DATE, {"birth_date": "1955-03-10"}, "3050.00")
    assert error.value.field == "effective_month"
    assert (ChangeRequest.objects.count(), PensionRate.objects.count()) == (0, rates)


def test_the_effective_month_may_be_the_adjustment_month(county: Any, world: People) -> None:
    """From January itself: the new base is January's next revision and the recomputed adjustment the one
    after it. 3050.00 at 71: 3188.25 against 3117.50, +70.75 × 6."""
    a = world.a
    with time_machine.travel(REQUESTED, tick=False):
        change = change_request_create(
            retiree=a,
            field=ChangeRequest.Field.BIRTH_DATE,
            new_value={"birth_date": "1955-03-10"},
            reason="档案核对更正",
            document=scan(),
            approval_reference="赣人社字〔2026〕31号",
            new_amount="3050.00",
            effective_month=JAN,
            by=county.clerk,
        )
    approve(county, change)
    assert rates_of(a)[1:] == [
        (JAN, 0, D("3117.50"), AA),
        (JAN, 1, D("3050.00"), IA),
        (JAN, 2, D("3188.25"), AA),
    ]
    assert rate_change_arrears(a) == [(m, D("70.75")) for m in MONTHS_2026]


def test_the_pages_show_the_recomputed_adjustment_and_every_month(
    client: Any, county: Any, world: People
) -> None:
    a = world.a
    client.force_login(county.clerk)
    url = reverse("change-request-create", args=[a.pk])
    with time_machine.travel(APPROVED, tick=False):
        preview = client.get(
            url,
            {
                "field": "birth_date",
                "preview": "1",
                "birth_date": "1955-03-10",
                "new_amount": "3050.00",
                "effective_month": "2025-06",
            },
            headers={"HX-Request": "true"},
        ).content.decode()
    assert "2026-01 2026 年度调待重新计算:¥3,117.50 → ¥3,188.25" in preview
    assert "补发 13 个月,合计 ¥774.50" in preview
    assert preview.count("¥70.75") == 6 and preview.count("¥50.00") >= 7

    change = request(county, a, ChangeRequest.Field.BIRTH_DATE, {"birth_date": "1955-03-10"}, "3050.00")
    client.force_login(county.reviewer)
    with time_machine.travel(APPROVED, tick=False):
        page = client.get(reverse("change-request-detail", args=[change.pk])).content.decode()
    assert "2026 年度调待重新计算:¥3,117.50 → ¥3,188.25" in page
    assert "补发 13 个月,合计 ¥774.50" in page


def test_a_crossing_that_would_leave_the_old_adjustment_in_force_is_refused(
    county: Any, world: People
) -> None:
    """No contribution months: the 2026 adjustment would make A an exception, so nothing recomputes January's
    3117.50, which would stay in force over the new base. Refused, nothing written."""
    before = (ChangeRequest.objects.count(), PensionRate.objects.count(), ArrearsItem.objects.count())
    with pytest.raises(
        ChangeRequestError, match="2026-01 起的年度调待标准,按变更后的情况无法重新计算"
    ) as error:
        request(
            county, world.a, ChangeRequest.Field.CONTRIBUTION_MONTHS, {"contribution_months": "0"}, "2990.00"
        )
    assert error.value.field == "effective_month"
    assert (ChangeRequest.objects.count(), PensionRate.objects.count(), ArrearsItem.objects.count()) == before


def test_an_exception_given_contribution_months_gets_the_adjustment_it_never_had(
    county: Any, world: People
) -> None:
    """E (2100.00, no contribution months: an exception in the run, no adjustment rate) really has 180 months
    (15 years), same amount from 2025-06: the 2026 adjustment is computed now, 50 + 31.50 + 15 = 96.50 (E is
    68: no tier), from January: +96.50 for January–June, nothing for 2025."""
    e = world.e
    change = request(
        county, e, ChangeRequest.Field.CONTRIBUTION_MONTHS, {"contribution_months": "180"}, "2100.00"
    )
    approve(county, change)
    assert rates_of(e)[1:] == [(JUN_2025, 0, D("2100.00"), IA), (JAN, 0, D("2196.50"), AA)]
    assert rate_change_arrears(e) == [(m, D("96.50")) for m in MONTHS_2026]


def test_contribution_months_through_the_api_and_the_form(client: Any, county: County) -> None:
    """No adjustment applied here: a plain 零星调资 of contribution months, requested through the API."""
    retiree = county.retiree_a1
    PensionRateFactory.create(retiree=retiree, amount=D("2650.00"), effective_month=M(2018, 4))
    client.force_login(county.clerk)
    form = client.get(reverse("change-request-create", args=[retiree.pk]), {"field": "contribution_months"})
    assert "更正后的缴费月数" in form.content.decode()

    api = APIClient()
    api.force_authenticate(county.clerk)
    missing = api.post(
        reverse("api-change-request-list"),
        {
            "retiree": retiree.pk,
            "field": "contribution_months",
            "new_value": '{"contribution_months": 300}',
            "reason": "缴费记录核对",
            "document": scan(),
        },
        format="multipart",
    )
    assert missing.status_code == 400
    assert "缴费月数的变更须经人社局审批" in missing.json()["approval_reference"][0]
    assert not ChangeRequest.objects.exists()
    with time_machine.travel(REQUESTED, tick=False):
        response = api.post(
            reverse("api-change-request-list"),
            {
                "retiree": retiree.pk,
                "field": "contribution_months",
                "new_value": '{"contribution_months": 300}',
                "reason": "缴费记录核对",
                "document": scan(),
                "approval_reference": "赣人社字〔2026〕40号",
                "new_amount": "2700.00",
                "effective_month": "2026-06",
            },
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    assert (response.json()["field_label"], response.json()["new_value"]) == (
        "缴费月数",
        {"contribution_months": 300},
    )
