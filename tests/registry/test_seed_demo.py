"""manage.py seed_demo: the demo county, its people and logins; a second run adds and changes nothing."""

import datetime
import io
import re
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Model, Q
from django.test import RequestFactory
from pghistory.models import Context

from registry.demo_county import generate_retirees
from registry.id_numbers import parse_resident_id
from registry.models import Agent, Bank, BankAccount, OrgUnit, PensionRate, Retiree, Staff, StatusChange
from registry.months import PensionMonth

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
RETIREES = 300


def seed(**options: Any) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db: None) -> str:
    return seed(retirees=RETIREES)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every registry table (and the audit contexts), to compare before and after."""
    models: list[type[Model]] = [
        *apps.get_app_config("registry").get_models(include_auto_created=True),
        Context,
    ]
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in models}


def month_of(rate: PensionRate) -> PensionMonth:
    # The stubs see the IntegerField under PensionMonthField; the value is a PensionMonth.
    return cast(PensionMonth, rate.effective_month)


def test_the_county_has_twelve_townships_with_four_to_nine_communities_each(seeded: str) -> None:
    county = OrgUnit.objects.get(kind=OrgUnit.Kind.COUNTY)
    assert (county.code, county.name, county.parent) == ("360721", "示范县社会保险事业管理局", None)

    townships = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP).order_by("code"))
    assert [t.code for t in townships] == [f"360721{n}" for n in range(100, 112)]
    assert [t.name for t in townships[:2]] == ["城关镇", "梅林镇"]
    assert {t.parent_id for t in townships} == {county.pk}
    for township in townships:
        communities = list(township.children.all())
        assert 4 <= len(communities) <= 9, township.name
        for community in communities:
            assert community.kind == OrgUnit.Kind.COMMUNITY
            assert re.fullmatch(rf"{township.code}\d{{3}}", community.code)
            # Residents' committees sit only in towns' seats; townships (乡) have villages.
            assert community.name.endswith("村") or (
                community.name.endswith("社区") and township.name.endswith("镇")
            )
    assert OrgUnit.objects.count() == 1 + 12 + OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNITY).count()


def test_the_three_banks_with_their_channels(seeded: str) -> None:
    assert sorted(Bank.objects.values_list("code", "name", "channel")) == [
        ("CCB", "中国建设银行", Bank.Channel.AGENCY),
        ("PSBC", "中国邮政储蓄银行", Bank.Channel.SYSTEM_DIRECT),
        ("RCB", "示范县农村商业银行", Bank.Channel.EBANK_DIRECT),
    ]


def test_every_id_number_is_valid_and_matches_birth_date_and_sex(seeded: str) -> None:
    retirees = list(Retiree.objects.all())
    assert len(retirees) == RETIREES
    for retiree in retirees:
        parsed = parse_resident_id(retiree.id_number, today=TODAY)
        assert parsed.number == retiree.id_number
        assert (parsed.birth_date, parsed.sex) == (retiree.birth_date, retiree.sex)
        assert datetime.date(1936, 1, 1) <= retiree.birth_date <= datetime.date(1966, 12, 31)
    local = [r for r in retirees if r.id_number.startswith("360721")]
    assert 0.85 * RETIREES <= len(local) < RETIREES  # mostly born here, a few elsewhere
    assert {r.sex for r in retirees} == {Retiree.Sex.MALE, Retiree.Sex.FEMALE}
    assert {len(r.name) for r in retirees} == {2, 3}
    assert 0.2 * RETIREES <= sum(len(r.name) == 2 for r in retirees) <= 0.4 * RETIREES


def test_retirement_age_certificate_and_contribution_follow_the_rules(seeded: str) -> None:
    for retiree in Retiree.objects.all():
        age = retiree.retirement_date.year - retiree.birth_date.year
        # Men at 60 (55 in hazardous jobs), women workers at 50 and women cadres at 55.
        assert age in ({55, 60} if retiree.sex == Retiree.Sex.MALE else {50, 55})
        assert retiree.retirement_date < TODAY
        assert retiree.certificate_number is not None
        assert re.fullmatch(rf"360721{retiree.retirement_date.year}\d{{5}}", retiree.certificate_number)
        assert retiree.work_start_date is not None and retiree.work_start_date < retiree.retirement_date
        assert retiree.contribution_months >= 180
        assert retiree.community.kind == OrgUnit.Kind.COMMUNITY


def test_every_retiree_has_one_current_account_at_one_of_the_three_banks(seeded: str) -> None:
    per_retiree = Retiree.objects.annotate(
        current=Count("bank_accounts", filter=Q(bank_accounts__is_current=True)), total=Count("bank_accounts")
    )
    assert {(r.current, r.total) for r in per_retiree} == {(1, 1)}
    prefixes = {"PSBC": "621799", "RCB": "623091", "CCB": "621700"}
    for account in BankAccount.objects.select_related("retiree", "bank"):
        assert re.fullmatch(r"\d{19}", account.account_number)
        assert account.account_number.startswith(prefixes[account.bank.code])
        assert account.holder_name == account.retiree.name
    by_bank = dict(BankAccount.objects.values_list("bank__code").annotate(n=Count("id")))
    assert by_bank["PSBC"] > by_bank["RCB"] > by_bank["CCB"] > 0.15 * RETIREES


def test_rate_history_starts_the_month_after_retirement_and_adjusts_in_january(seeded: str) -> None:
    for retiree in Retiree.objects.prefetch_related("rates"):
        rates = sorted(retiree.rates.all(), key=month_of)
        assert 1 <= len(rates) <= 3
        first, *adjustments = rates
        assert first.reason == PensionRate.Reason.INITIAL
        assert month_of(first) == PensionMonth.of(retiree.retirement_date).next()
        for rate in adjustments:
            assert rate.reason == PensionRate.Reason.ANNUAL_ADJUSTMENT
            assert month_of(rate).month == 1
            assert month_of(rate) <= PensionMonth(2026, 1)
        amounts = [rate.amount for rate in rates]
        assert amounts == sorted(amounts)
        for amount in amounts:
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
            assert Decimal("1600.00") <= amount <= Decimal("5500.00")
        if retiree.died_on:
            assert month_of(rates[-1]) <= PensionMonth.of(retiree.died_on)


def test_suspended_and_deceased_retirees_each_have_their_status_change(seeded: str) -> None:
    admin = Staff.objects.get(username="admin")
    # Suspensions are the certification job's, so the entry screen's certification restores them.
    job = Staff.objects.get(username=settings.SYSTEM_STAFF_USERNAME)
    suspended = list(Retiree.objects.filter(status=Retiree.Status.SUSPENDED))
    deceased = list(Retiree.objects.filter(status=Retiree.Status.DECEASED))
    assert suspended and deceased
    assert len(suspended) + len(deceased) <= 0.03 * RETIREES
    for retiree in [*suspended, *deceased]:
        (change,) = retiree.status_changes.all()
        assert (change.from_status, change.to_status, change.actor) == (
            Retiree.Status.ACTIVE,
            retiree.status,
            job if retiree.status == Retiree.Status.SUSPENDED else admin,
        )
    for retiree in suspended:
        (change,) = retiree.status_changes.all()
        assert (change.effective_date, change.reason) == (
            datetime.date(2026, 8, 1),
            "未在2026年度认证期内完成领取资格认证",
        )
        assert retiree.died_on is None
    for retiree in deceased:
        (change,) = retiree.status_changes.all()
        assert retiree.died_on == change.effective_date
        assert retiree.retirement_date < retiree.died_on < TODAY
        assert "死亡" in change.reason
    assert not StatusChange.objects.filter(retiree__status=Retiree.Status.ACTIVE).exists()


def test_remote_residents_have_where_they_live_and_local_ones_do_not(seeded: str) -> None:
    remote = list(Retiree.objects.filter(residence=Retiree.Residence.REMOTE))
    assert 1 <= len(remote) <= 0.08 * RETIREES
    for retiree in remote:
        assert retiree.remote_province.endswith(("省", "市"))
        assert retiree.remote_city.endswith("市")
        assert retiree.remote_address
    assert not Retiree.objects.filter(residence=Retiree.Residence.LOCAL).exclude(
        remote_province="", remote_city="", remote_address=""
    )


def test_agents_are_children_with_valid_id_numbers(seeded: str) -> None:
    agents = list(Agent.objects.select_related("retiree"))
    assert 0.03 * RETIREES <= len(agents) <= 0.15 * RETIREES
    for agent in agents:
        parsed = parse_resident_id(agent.id_number, today=TODAY)
        assert agent.relation == ("儿子" if parsed.sex == Retiree.Sex.MALE else "女儿")
        assert parsed.birth_date.year - agent.retiree.birth_date.year >= 20
        assert agent.is_current
        assert agent.retiree.retirement_date <= agent.valid_from <= TODAY


def test_each_demo_login_signs_in_with_its_role_and_unit(seeded: str) -> None:
    expected = {
        "admin": (Staff.Role.BUREAU_ADMIN, "360721"),
        "clerk": (Staff.Role.BUREAU_CLERK, "360721"),
        "clerk2": (Staff.Role.BUREAU_CLERK, "360721"),
        "reviewer": (Staff.Role.FINANCE_REVIEWER, "360721"),
        "auditor": (Staff.Role.AUDITOR, "360721"),
        "chengguan": (Staff.Role.TOWNSHIP_STAFF, "360721100"),
        "meilin": (Staff.Role.TOWNSHIP_STAFF, "360721101"),
    }
    request = RequestFactory().post("/login/")
    for username, (role, unit_code) in expected.items():
        staff = authenticate(request, username=username, password="Demo@2026")
        assert isinstance(staff, Staff), username
        assert staff.org_unit is not None
        assert (staff.role, staff.org_unit.code) == (role, unit_code)
        assert re.fullmatch(r"[\u4e00-\u9fff]{3}", str(staff))  # a Chinese full name
        assert authenticate(request, username=username, password="demo@2026") is None
    # Besides the logins, only the jobs' account, which nobody can sign in as.
    assert set(Staff.objects.values_list("username", flat=True)) == {
        *expected,
        settings.SYSTEM_STAFF_USERNAME,
    }
    assert not Staff.objects.get(username=settings.SYSTEM_STAFF_USERNAME).has_usable_password()


def test_a_second_run_adds_nothing_and_changes_nothing(seeded: str) -> None:
    before = snapshot()

    output = seed(retirees=RETIREES, full=True)

    assert snapshot() == before
    assert "其中已存在 300 名,待写入 0 名" in output
    assert "退休人员:共 300 条,本次新增 0 条" in output


def test_a_second_run_stops_after_one_check_and_changes_nothing(
    seeded: str, django_assert_max_num_queries: Any
) -> None:
    before = snapshot()

    with django_assert_max_num_queries(1):
        output = seed(retirees=RETIREES)

    assert snapshot() == before
    assert output == "示范县已生成(300 名退休人员,种子 360721),跳过;用 --full 逐一比对补充。\n"


def test_the_quick_check_does_not_skip_a_larger_or_another_county(seeded: str) -> None:
    # More people asked for than registered: the run goes on and adds them.
    assert "待写入 100 名" in seed(retirees=RETIREES + 100)
    # Another seed's first person is not registered: the run goes on.
    assert "待写入 5 名" in seed(retirees=5, seed=7)


def test_a_larger_run_adds_only_the_missing_people_and_leaves_the_others(seeded: str) -> None:
    before = {row["id"]: row for row in Retiree.objects.values()}

    seed(retirees=RETIREES + 100)

    after = {row["id"]: row for row in Retiree.objects.values()}
    assert len(after) == RETIREES + 100
    assert {pk: after[pk] for pk in before} == before
    new = Retiree.objects.exclude(pk__in=before)
    assert BankAccount.objects.filter(retiree__in=new).count() == 100
    assert (
        not PensionRate.objects.filter(retiree__in=new).values("retiree").annotate(n=Count("id")).filter(n=0)
    )
    assert Retiree.objects.values("certificate_number").distinct().count() == RETIREES + 100


def test_an_existing_login_keeps_its_password(db: None) -> None:
    county = OrgUnit.objects.create(code="360721", name="示范县社会保险事业管理局", kind=OrgUnit.Kind.COUNTY)
    clerk = Staff.objects.create_user(
        username="clerk",
        password="pass-Word-123",
        role=Staff.Role.BUREAU_CLERK,
        org_unit=county,
        last_name="赵",
    )

    seed(retirees=10)

    clerk.refresh_from_db()
    assert clerk.check_password("pass-Word-123")
    assert not clerk.check_password("Demo@2026")
    assert (clerk.last_name, clerk.first_name) == ("赵", "")


def test_the_same_seed_draws_the_same_people_and_a_longer_run_extends_a_shorter_one() -> None:
    first = generate_retirees(200, seed=7, as_of=TODAY)
    longer = generate_retirees(500, seed=7, as_of=TODAY)
    other_seed = generate_retirees(200, seed=8, as_of=TODAY)
    next_year = generate_retirees(200, seed=7, as_of=datetime.date(2027, 8, 1))

    assert longer[:200] == first
    assert [p.id_number for p in next_year] == [p.id_number for p in first]
    assert not {p.id_number for p in other_seed} & {p.id_number for p in first}


def test_id_and_account_numbers_are_unique_across_a_large_county() -> None:
    people = generate_retirees(5000, seed=360721, as_of=TODAY)
    agent_ids = [p.agent.id_number for p in people if p.agent]

    assert len({p.id_number for p in people} | set(agent_ids)) == len(people) + len(agent_ids)
    assert len({p.account_number for p in people}) == len(people)
