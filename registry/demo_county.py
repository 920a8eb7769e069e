"""The demo county (示范县): fixed tables and a seeded generator behind `manage.py seed_demo`.

Two halves. `generate_retirees` is pure: from a seed it draws the same people every time, and the first N of a
larger run are the people of a run with N (each person only consumes the random stream, never looks ahead),
so `--retirees 300` followed by `--retirees 30000` adds exactly the 29,700 missing ones. `seed_demo_county`
writes: units, banks, employers and logins by get-or-create, then only the retirees whose ID number is not in
the database yet, with their related rows, by bulk_create in one transaction. Nothing that exists is changed.

`as_of` (the run's date) only decides what must not lie in the future: the latest annual adjustment, the
campaign a suspension refers to, a death date, and that a man who turns 60 after it retired early. The random
draws never depend on it, so the same seed gives the same ID numbers on any day.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pghistory
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .id_numbers import check_character
from .models import (
    Agent,
    Bank,
    BankAccount,
    Employer,
    FlagKind,
    OrgUnit,
    PensionRate,
    Retiree,
    RetireeFlag,
    Staff,
    StatusChange,
)
from .months import PensionMonth
from .services import retiree_search_keys_rebuild, staff_create, system_staff

DEFAULT_SEED = 360721
DEFAULT_RETIREES = 30_000
BATCH_SIZE = 5_000
DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - the documented password of the demo logins (docs/demo-county.md)

COUNTY_CODE = "360721"
COUNTY_NAME = "示范县社会保险事业管理局"
# Ganzhou's telephone area code: the county's landlines start with it.
AREA_PHONE_PREFIX = "0797"

# Township code = county code + 100..111; community code = township code + 001..; the first two townships are
# the A and B of every test and demo script. Town seats (镇) have residents' committees (社区), the rest are
# villages (村).
TOWNSHIPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "城关镇",
        ("东街社区", "西街社区", "南门社区", "北门社区", "解放路社区", "新华社区", "城东村", "城南村"),
    ),
    ("梅林镇", ("梅林社区", "梅林村", "上坪村", "下坪村", "黄竹村", "新塘村")),
    ("石门乡", ("石门村", "枫树村", "高坑村", "大坝村", "杨梅村")),
    ("龙潭镇", ("龙潭社区", "龙潭村", "水口村", "沙坝村", "松山村", "塘背村", "田心村")),
    ("桃源乡", ("桃源村", "樟树村", "竹园村", "洋田村")),
    ("青山乡", ("青山村", "白鹭村", "湖坑村", "岭下村", "马岭村")),
    ("白石镇", ("白石社区", "白石村", "上洛村", "下洛村", "长坑村", "山背村", "石溪村", "瑶前村", "新屋村")),
    ("清溪乡", ("清溪村", "坪上村", "古坑村", "红旗村", "金坑村")),
    ("凤凰镇", ("凤凰社区", "凤凰村", "文峰村", "江口村", "茶园村", "排上村")),
    ("长岭乡", ("长岭村", "横江村", "大布村", "庄口村")),
    ("大塘镇", ("大塘社区", "大塘村", "河背村", "中和村", "东坑村", "西坑村", "双溪村", "富田村")),
    ("黄坑乡", ("黄坑村", "油潭村", "石角村", "良口村", "桐坑村", "罗坝村")),
)


@dataclass(frozen=True)
class BankSpec:
    code: str
    name: str
    channel: str
    weight: int  # share of retirees paid through it, in percent
    card_prefix: str  # six-digit issuer prefix of its debit cards


BANKS: tuple[BankSpec, ...] = (
    BankSpec("PSBC", "中国邮政储蓄银行", Bank.Channel.SYSTEM_DIRECT, 45, "621799"),
    BankSpec("RCB", "示范县农村商业银行", Bank.Channel.EBANK_DIRECT, 30, "623091"),
    BankSpec("CCB", "中国建设银行", Bank.Channel.AGENCY, 25, "621700"),
)

# (name, weight, contact person): old state and collective enterprises whose retirees the bureau took over.
EMPLOYERS: tuple[tuple[str, int, str], ...] = (
    ("示范县机械厂", 14, "罗国华"),
    ("示范县纺织厂", 14, "钟秀珍"),
    ("示范县化肥厂", 10, "谢志明"),
    ("示范县供销社", 12, "刘长根"),
    ("示范县钨矿", 12, "曾宪文"),
    ("示范县水泥厂", 7, "黄金生"),
    ("示范县粮食局直属粮库", 6, "廖春华"),
    ("示范县食品公司", 5, "温桂英"),
    ("示范县百货公司", 5, "赖小红"),
    ("示范县酒厂", 4, "邱建平"),
    ("示范县印刷厂", 3, "陈德福"),
    ("示范县汽车运输公司", 4, "肖永红"),
    ("示范县林业采育场", 4, "朱荣华"),
)
# Flexible-employment retirees (灵活就业人员) paid in themselves and have no former employer.
NO_EMPLOYER_SHARE = 0.08


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    unit_code: str
    full_name: str


LOGINS: tuple[Login, ...] = (
    Login("admin", Staff.Role.BUREAU_ADMIN, COUNTY_CODE, "刘志强"),
    Login("clerk", Staff.Role.BUREAU_CLERK, COUNTY_CODE, "陈丽华"),
    # A second clerk, so a maker-checker step can be prepared by one clerk and seen from another account.
    Login("clerk2", Staff.Role.BUREAU_CLERK, COUNTY_CODE, "黄海燕"),
    Login("reviewer", Staff.Role.FINANCE_REVIEWER, COUNTY_CODE, "周文斌"),
    Login("auditor", Staff.Role.AUDITOR, COUNTY_CODE, "吴国平"),
    Login("chengguan", Staff.Role.TOWNSHIP_STAFF, f"{COUNTY_CODE}100", "李建军"),
    Login("meilin", Staff.Role.TOWNSHIP_STAFF, f"{COUNTY_CODE}101", "张秀梅"),
)

# Common surnames, most frequent first; a weight falls with the rank. 曾 覃 单 解 仇 查 have several readings,
# which the pinyin search must cope with, so they are all present.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
RARE_READING_SURNAMES = "单解仇查"
_SURNAME_POOL = SURNAMES + RARE_READING_SURNAMES
_SURNAME_CUM_WEIGHTS = list(
    itertools.accumulate(
        [1000 / (rank + 8) for rank in range(len(SURNAMES))] + [3.0] * len(RARE_READING_SURNAMES)
    )
)

MALE_CHARACTERS = (
    "伟强军明华平建国文德福志勇海林生春贵荣金忠庆兴学永新光宝成东山"
    "祥安发才宏茂良清松仁义智昌顺洪斌辉涛刚俊峰杰龙根水有树高家胜"
)
FEMALE_CHARACTERS = "秀英兰芳珍华玉梅凤桂红丽琴霞萍云莲娟淑翠敏静春菊花月芬香燕美群珠银爱莉彩素惠娥娇秋冬琼"
# Given names typical of people born 1936–1966, chosen whole.
MALE_GIVEN_NAMES = ("建国", "国庆", "建华", "援朝", "解放", "卫东", "建军", "跃进", "振华", "胜利")
FEMALE_GIVEN_NAMES = ("秀英", "桂英", "秀兰", "玉兰", "桂兰", "凤英", "淑珍", "红梅", "冬梅", "金凤")
SINGLE_CHARACTER_GIVEN_NAME_SHARE = 0.30

LOCAL_AREA_SHARE = 0.92
# Birthplaces of the others: neighbouring counties, the old prefecture code of the 1980s, the provincial
# capital and the provinces people came from for work.
OTHER_AREA_CODES = ("360702", "360722", "360781", "362101", "360102", "430102", "441402", "350602")
MOBILE_PREFIXES = ("133", "135", "137", "138", "139", "150", "152", "158", "159", "180", "187", "189")

STREETS = ("解放路", "人民路", "建设路", "文化路", "新华街", "胜利路", "和平路", "东门街", "长征路", "滨江路")
# (province, city, districts): where remote residents live, mostly with children who moved for work.
REMOTE_PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("广东省", "深圳市", ("宝安区", "龙岗区", "南山区")),
    ("广东省", "广州市", ("天河区", "白云区")),
    ("广东省", "东莞市", ("长安镇", "虎门镇")),
    ("浙江省", "杭州市", ("西湖区", "萧山区")),
    ("浙江省", "宁波市", ("鄞州区",)),
    ("福建省", "厦门市", ("思明区", "湖里区")),
    ("上海市", "上海市", ("浦东新区", "闵行区")),
    ("江西省", "南昌市", ("东湖区", "红谷滩区")),
)
REMOTE_SHARE = 0.03
AGENT_SHARE = 0.08
DECEASED_SHARE = 0.005
SUSPENDED_SHARE = 0.01
DEATH_REASONS = (
    "家属报告死亡,火化证明已核验",
    "村(居)委会报告死亡,死亡医学证明已核验",
    "公安户籍注销信息比对发现死亡,家属已确认",
)
# The adjustment is announced mid-year and back-dated to January (docs/domain.md "Annual pension adjustment").
ADJUSTMENT_ANNOUNCED_MONTH = 7
# A campaign's default suspension date is August 1 (certification.models.Campaign.default_dates).
SUSPENSION_MONTH = 8

_CENT = Decimal("0.01")
_OLDEST_BIRTH = datetime.date(1936, 1, 1).toordinal()
_YOUNGEST_BIRTH = datetime.date(1966, 12, 31).toordinal()


@dataclass(frozen=True)
class DemoAgent:
    name: str
    id_number: str
    relation: str
    phone: str
    valid_from: datetime.date


@dataclass(frozen=True)
class DemoRate:
    effective_month: PensionMonth
    amount: Decimal
    reason: str
    note: str


@dataclass(frozen=True)
class DemoStatusChange:
    to_status: str
    effective_date: datetime.date
    reason: str


@dataclass(frozen=True)
class DemoRetiree:
    """One generated person and what is recorded about them; the certificate number is issued at insert."""

    id_number: str
    name: str
    sex: str
    birth_date: datetime.date
    phone: str
    address: str
    community_code: str
    residence: str
    remote_province: str
    remote_city: str
    remote_address: str
    employer_name: str | None
    work_start_date: datetime.date
    retirement_date: datetime.date
    contribution_months: int
    bank_code: str
    account_number: str
    rates: tuple[DemoRate, ...]
    agent: DemoAgent | None
    status_change: DemoStatusChange | None

    @property
    def status(self) -> str:
        return self.status_change.to_status if self.status_change else Retiree.Status.ACTIVE

    @property
    def died_on(self) -> datetime.date | None:
        change = self.status_change
        return change.effective_date if change and change.to_status == Retiree.Status.DECEASED else None


def community_codes() -> list[tuple[str, int]]:
    """Every community's code with its weight: the county seat's residents' committees house most retirees."""
    weighted = []
    for township_index, (_township, communities) in enumerate(TOWNSHIPS):
        for index, name in enumerate(communities, start=1):
            is_seat = name.endswith("社区")
            weight = (12 if township_index == 0 else 5) if is_seat else (2 if township_index == 0 else 1)
            weighted.append((f"{township_code(township_index)}{index:03d}", weight))
    return weighted


def township_code(index: int) -> str:
    return f"{COUNTY_CODE}{100 + index}"


def _last_day_of_month(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _luhn_completed(digits: str) -> str:
    """Bank card numbers end with a Luhn check digit."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


class _Generator:
    """One random stream and the numbers already handed out, so every ID and account number is unique."""

    def __init__(self, *, seed: int, as_of: datetime.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
        self.as_of = as_of
        self.used_ids: set[str] = set()
        self.used_accounts: set[str] = set()
        communities = community_codes()
        self.community_codes = [code for code, _weight in communities]
        self.community_cum_weights = list(itertools.accumulate(weight for _code, weight in communities))
        self.community_names = {
            f"{township_code(t_index)}{c_index:03d}": (township, community)
            for t_index, (township, communities_of) in enumerate(TOWNSHIPS)
            for c_index, community in enumerate(communities_of, start=1)
        }
        self.employer_names = [name for name, _weight, _contact in EMPLOYERS]
        self.employer_cum_weights = list(
            itertools.accumulate(weight for _name, weight, _contact in EMPLOYERS)
        )
        self.bank_cum_weights = list(itertools.accumulate(bank.weight for bank in BANKS))
        latest_adjustment_year = as_of.year if as_of.month >= ADJUSTMENT_ANNOUNCED_MONTH else as_of.year - 1
        self.latest_adjustment = PensionMonth(latest_adjustment_year, 1)
        campaign_year = as_of.year if as_of.month >= SUSPENSION_MONTH else as_of.year - 1
        self.campaign_year = campaign_year
        self.suspended_from = datetime.date(campaign_year, SUSPENSION_MONTH, 1)

    def id_number(self, area: str, birth: datetime.date, *, male: bool) -> str:
        while True:
            # The sequence digit's parity is the sex: odd for men, even for women; 000 is never issued.
            order = self.rng.randrange(0, 500) * 2 + 1 if male else self.rng.randrange(1, 500) * 2
            first17 = f"{area}{birth:%Y%m%d}{order:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + check_character(first17)

    def surname(self) -> str:
        return self.rng.choices(_SURNAME_POOL, cum_weights=_SURNAME_CUM_WEIGHTS)[0]

    def given_name(self, *, male: bool) -> str:
        rng = self.rng
        characters = MALE_CHARACTERS if male else FEMALE_CHARACTERS
        if rng.random() < SINGLE_CHARACTER_GIVEN_NAME_SHARE:
            return rng.choice(characters)
        if rng.random() < 0.25:
            return rng.choice(MALE_GIVEN_NAMES if male else FEMALE_GIVEN_NAMES)
        return "".join(rng.sample(characters, 2))

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return f"{AREA_PHONE_PREFIX}-{rng.randrange(6_000_000, 7_000_000)}"
        return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"

    def account_number(self, prefix: str) -> str:
        while True:
            number = _luhn_completed(f"{prefix}{self.rng.randrange(10**12):012d}")
            if number not in self.used_accounts:
                self.used_accounts.add(number)
                return number

    def retiree(self) -> DemoRetiree:
        rng, as_of = self.rng, self.as_of
        male = rng.random() < 0.48
        birth = datetime.date.fromordinal(rng.randint(_OLDEST_BIRTH, _YOUNGEST_BIRTH))
        area = COUNTY_CODE if rng.random() < LOCAL_AREA_SHARE else rng.choice(OTHER_AREA_CODES)
        id_number = self.id_number(area, birth, male=male)
        name = self.surname() + self.given_name(male=male)

        # Men at 60 (55 in hazardous jobs, 特殊工种), women workers at 50, women cadres at 55.
        early = rng.random() < (0.06 if male else 0.20)
        age = (55 if early else 60) if male else (55 if early else 50)
        retirement_date = _last_day_of_month(birth.year + age, birth.month)
        if retirement_date >= as_of:
            # A man who turns 60 after today cannot have retired at 60: he retired early from a hazardous job.
            retirement_date = _last_day_of_month(birth.year + 55, birth.month)
        work_start_date = datetime.date(birth.year + rng.randint(16, 24), rng.randint(1, 12), 1)
        gap_months = rng.choice((0, 0, 0, 6, 12, 24, 36, 60))
        contribution_months = max(180, _months_between(work_start_date, retirement_date) - gap_months)

        community_code = rng.choices(self.community_codes, cum_weights=self.community_cum_weights)[0]
        township, community = self.community_names[community_code]
        house = rng.randint(1, 188)
        if community.endswith("社区"):
            address = f"{township}{rng.choice(STREETS)}{house}号"
        else:
            address = f"{township}{community}{rng.randint(1, 12)}组{house}号"
        remote = rng.random() < REMOTE_SHARE
        province, city, districts = rng.choice(REMOTE_PLACES)
        remote_address = (
            f"{rng.choice(districts)}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
            f"{rng.randint(1, 30)}栋{rng.randint(1, 32)}0{rng.randint(1, 6)}室"
        )
        employer_draw = rng.choices(self.employer_names, cum_weights=self.employer_cum_weights)[0]
        employer_name = None if rng.random() < NO_EMPLOYER_SHARE else employer_draw

        status_change = self._status_change(retirement_date)
        rates = self._rates(retirement_date, status_change)
        bank = rng.choices(BANKS, cum_weights=self.bank_cum_weights)[0]
        agent = self._agent(birth, name, male=male, retirement_date=retirement_date)
        return DemoRetiree(
            id_number=id_number,
            name=name,
            sex=Retiree.Sex.MALE if male else Retiree.Sex.FEMALE,
            birth_date=birth,
            phone=self.phone(),
            address=address,
            community_code=community_code,
            residence=Retiree.Residence.REMOTE if remote else Retiree.Residence.LOCAL,
            remote_province=province if remote else "",
            remote_city=city if remote else "",
            remote_address=remote_address if remote else "",
            employer_name=employer_name,
            work_start_date=work_start_date,
            retirement_date=retirement_date,
            contribution_months=contribution_months,
            bank_code=bank.code,
            account_number=self.account_number(bank.card_prefix),
            rates=rates,
            agent=agent,
            status_change=status_change,
        )

    def _status_change(self, retirement_date: datetime.date) -> DemoStatusChange | None:
        rng = self.rng
        draw = rng.random()
        died_on = self.as_of - datetime.timedelta(days=rng.randint(20, 720))
        death_reason = rng.choice(DEATH_REASONS)
        if draw < DECEASED_SHARE and died_on > retirement_date + datetime.timedelta(days=31):
            return DemoStatusChange(Retiree.Status.DECEASED, died_on, death_reason)
        # Only someone retired before the campaign year had to certify in it.
        if draw < DECEASED_SHARE + SUSPENDED_SHARE and retirement_date.year < self.campaign_year:
            # The wording and the actor of the suspension job (certification.services.suspension_run), so a
            # certification on the entry screen restores them like anyone the job suspended.
            reason = f"未在{self.campaign_year}年度认证期内完成领取资格认证"
            return DemoStatusChange(Retiree.Status.SUSPENDED, self.suspended_from, reason)
        return None

    def _rates(self, retirement_date: datetime.date, change: DemoStatusChange | None) -> tuple[DemoRate, ...]:
        rng = self.rng
        first = PensionMonth.of(retirement_date).next()
        amount = Decimal(rng.randint(160_000, 500_000)) / 100
        rates = [DemoRate(first, amount.quantize(_CENT), PensionRate.Reason.INITIAL, "")]
        wanted = rng.choice((0, 1, 1, 2, 2))
        increments = [
            (Decimal(rng.randint(30, 60)), Decimal(rng.choice(("0.015", "0.018", "0.020"))))
            for _index in range(2)
        ]
        last = self.latest_adjustment
        if change and change.to_status == Retiree.Status.DECEASED:
            last = min(last, PensionMonth.of(change.effective_date))
        januaries = [PensionMonth(year, 1) for year in range(last.year - 1, last.year + 1)]
        januaries = [month for month in januaries if first < month <= last][-wanted:] if wanted else []
        for month, (fixed, percent) in zip(januaries, increments, strict=False):
            amount = (amount + fixed + amount * percent).quantize(_CENT, rounding=ROUND_HALF_UP)
            rates.append(
                DemoRate(month, amount, PensionRate.Reason.ANNUAL_ADJUSTMENT, f"{month.year}年度调待")
            )
        return tuple(rates)

    def _agent(
        self, parent_birth: datetime.date, parent_name: str, *, male: bool, retirement_date: datetime.date
    ) -> DemoAgent | None:
        rng = self.rng
        wanted = rng.random() < AGENT_SHARE
        son = rng.random() < 0.5
        birth = datetime.date(parent_birth.year + rng.randint(20, 32), rng.randint(1, 12), rng.randint(1, 28))
        # Children carry the father's surname; a retired mother's child carries her husband's.
        surname = parent_name[0] if male else self.surname()
        given = self.given_name(male=son)
        phone = self.phone()
        since = max(retirement_date, self.as_of - datetime.timedelta(days=8 * 365))
        # A fraction of the span, not randint over it: the number of draws must not depend on as_of.
        valid_from = since + datetime.timedelta(days=int(rng.random() * (self.as_of - since).days))
        if not wanted:
            return None
        return DemoAgent(
            name=surname + given,
            id_number=self.id_number(COUNTY_CODE, birth, male=son),
            relation="儿子" if son else "女儿",
            phone=phone,
            valid_from=valid_from,
        )


def generate_retirees(count: int, *, seed: int, as_of: datetime.date) -> list[DemoRetiree]:
    """The first `count` people of the demo county for `seed`. Pure: no database."""
    generator = _Generator(seed=seed, as_of=as_of)
    return [generator.retiree() for _index in range(count)]


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)  # rows added per table key ("retirees", …)


def demo_county_seeded(*, retirees: int, seed: int, as_of: datetime.date) -> bool:
    """Whether `seed_demo --retirees N --seed S` would add nothing, in one query instead of drawing everyone
    again (~2 s for 30,000 on the development machine): every demo login exists, the first person the seed
    draws is registered, and at least N people are. The seed writes in one transaction, so the first
    person of a seed is there only if the whole run was; a county that also holds other people passes the
    count anyway, which is why `seed_demo --full` draws and compares everyone."""
    first = generate_retirees(1, seed=seed, as_of=as_of)[0].id_number
    retiree_table, staff_table = Retiree._meta.db_table, Staff._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT count(*) FROM {staff_table} WHERE username = ANY(%(logins)s)) = %(login_count)s
               AND EXISTS (SELECT 1 FROM {retiree_table} WHERE id_number = %(first)s)
               AND (SELECT count(*) FROM {retiree_table}) >= %(retirees)s
            """,  # noqa: S608  # table names from the models, values as parameters
            {
                "logins": [login.username for login in LOGINS],
                "login_count": len(LOGINS),
                "first": first,
                "retirees": retirees,
            },
        )
        (seeded,) = cursor.fetchone()
    return bool(seeded)


def seed_demo_county(
    *, retirees: int, seed: int, as_of: datetime.date, log: Callable[[str], None] = lambda _line: None
) -> SeedReport:
    """Create what is missing of the demo county; leave everything that exists as it is."""
    report = SeedReport()
    with transaction.atomic(), pghistory.context(source="seed_demo"):
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so each inserted row queues a check for the
        # commit; the audit triggers run an EXCEPTION block (a subtransaction) per row, and PostgreSQL scans
        # the whole deferred queue whenever one of them rolls back. That made 30,000 people take minutes,
        # each batch slower than the last. Checking keys at the end of each statement keeps the queue short.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        units = _ensure_units(report)
        banks = _ensure_banks(report)
        employers = _ensure_employers(report)
        staff = _ensure_logins(units, report)
        log(_("单位、银行、原单位与登录账号就绪(新增 %(n)d 条)") % {"n": sum(report.created.values())})

        drafts = generate_retirees(retirees, seed=seed, as_of=as_of)
        existing = _existing_id_numbers([draft.id_number for draft in drafts])
        missing = [draft for draft in drafts if draft.id_number not in existing]
        log(
            _("已生成 %(drawn)d 名退休人员,其中已存在 %(existing)d 名,待写入 %(missing)d 名")
            % {"drawn": len(drafts), "existing": len(existing), "missing": len(missing)}
        )
        last_sequence = _last_certificate_sequences() if missing else {}
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start : start + BATCH_SIZE]
            _insert_retirees(
                chunk,
                units=units,
                banks=banks,
                employers=employers,
                actor=staff["admin"],
                suspension_actor=system_staff(),
                last_sequence=last_sequence,
                report=report,
            )
            log(_("已写入退休人员 %(done)d/%(total)d") % {"done": start + len(chunk), "total": len(missing)})
        _ensure_flags(drafts, actor=staff["clerk"], report=report)
    return report


def _count(report: SeedReport, key: str, created: bool | int) -> None:
    report.created[key] = report.created.get(key, 0) + int(created)


def _ensure_units(report: SeedReport) -> dict[str, OrgUnit]:
    county, created = OrgUnit.objects.get_or_create(
        code=COUNTY_CODE, defaults={"name": COUNTY_NAME, "kind": OrgUnit.Kind.COUNTY}
    )
    _count(report, "org_units", created)
    units = {county.code: county}
    for t_index, (township_name, communities) in enumerate(TOWNSHIPS):
        township, created = OrgUnit.objects.get_or_create(
            code=township_code(t_index),
            defaults={
                "name": township_name,
                "kind": OrgUnit.Kind.TOWNSHIP,
                "parent": county,
                "sort_order": t_index,
            },
        )
        _count(report, "org_units", created)
        units[township.code] = township
        for c_index, community_name in enumerate(communities, start=1):
            community, created = OrgUnit.objects.get_or_create(
                code=f"{township.code}{c_index:03d}",
                defaults={
                    "name": community_name,
                    "kind": OrgUnit.Kind.COMMUNITY,
                    "parent": township,
                    "sort_order": c_index,
                },
            )
            _count(report, "org_units", created)
            units[community.code] = community
    return units


def _ensure_banks(report: SeedReport) -> dict[str, Bank]:
    banks = {}
    for spec in BANKS:
        bank, created = Bank.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name, "channel": spec.channel}
        )
        _count(report, "banks", created)
        banks[spec.code] = bank
    return banks


def _ensure_employers(report: SeedReport) -> dict[str, Employer]:
    employers = {}
    for name, _weight, contact in EMPLOYERS:
        employer, created = Employer.objects.get_or_create(name=name, defaults={"contact_person": contact})
        _count(report, "employers", created)
        employers[name] = employer
    return employers


# The county's two flags (人员标记, docs/flags.md) for the adjustment's 倾斜, and who carries them: every
# FLAG_EVERY-th person the seed draws, alternating between the kinds, at most FLAG_PEOPLE of them.
FLAG_KINDS = (("senior_title", "高级职称", "职称证书编号 GJ-"), ("hardship", "艰苦边远地区", "县人社局认定 "))
FLAG_EVERY = 97
FLAG_PEOPLE = 12


def _ensure_flags(drafts: Sequence[DemoRetiree], *, actor: Staff, report: SeedReport) -> None:
    kinds = []
    for order, (code, name, _basis) in enumerate(FLAG_KINDS):
        kind, created = FlagKind.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
        _count(report, "flag_kinds", created)
        kinds.append(kind)
    chosen = [draft.id_number for draft in drafts[::FLAG_EVERY][:FLAG_PEOPLE]]
    ids = dict(Retiree.objects.filter(id_number__in=chosen).values_list("id_number", "id"))
    # A person who carries (or once carried) the flag is left as they are: a second seed adds nothing.
    had = set(
        RetireeFlag.objects.filter(retiree_id__in=ids.values(), kind__in=kinds).values_list(
            "retiree_id", "kind_id"
        )
    )
    now = timezone.now()
    flags = []
    for position, number in enumerate(chosen):
        kind = kinds[position % len(kinds)]
        if number in ids and (ids[number], kind.pk) not in had:
            basis = FLAG_KINDS[position % len(kinds)][2]
            flags.append(
                RetireeFlag(
                    retiree_id=ids[number],
                    kind=kind,
                    note=f"{basis}{position + 1:04d}",
                    added_by=actor,
                    added_at=now,
                )
            )
    RetireeFlag.objects.bulk_create(flags)
    _count(report, "retiree_flags", len(flags))


def _ensure_logins(units: dict[str, OrgUnit], report: SeedReport) -> dict[str, Staff]:
    """An existing account is left alone, password included: the seed never resets what someone changed."""
    staff = {}
    for login in LOGINS:
        account = Staff.objects.filter(username=login.username).first()
        if account is None:
            account = staff_create(
                username=login.username,
                password=DEMO_PASSWORD,
                role=login.role,
                org_unit=units[login.unit_code],
                full_name=login.full_name,
            )
            _count(report, "staff", True)
        staff[login.username] = account
    return staff


def _existing_id_numbers(id_numbers: Sequence[str]) -> set[str]:
    existing: set[str] = set()
    for start in range(0, len(id_numbers), BATCH_SIZE):
        chunk = id_numbers[start : start + BATCH_SIZE]
        existing.update(Retiree.objects.filter(id_number__in=chunk).values_list("id_number", flat=True))
    return existing


def _last_certificate_sequences() -> dict[int, int]:
    """The last sequence issued per retirement year, so new certificates continue after any existing one."""
    last: dict[int, int] = {}
    numbers = Retiree.objects.filter(certificate_number__regex=rf"^{COUNTY_CODE}\d{{9}}$").values_list(
        "certificate_number", flat=True
    )
    for number in numbers.iterator(chunk_size=BATCH_SIZE):
        year, sequence = int(str(number)[6:10]), int(str(number)[10:])
        last[year] = max(last.get(year, 0), sequence)
    return last


def _insert_retirees(
    drafts: Sequence[DemoRetiree],
    *,
    units: dict[str, OrgUnit],
    banks: dict[str, Bank],
    employers: dict[str, Employer],
    actor: Staff,
    suspension_actor: Staff,
    last_sequence: dict[int, int],
    report: SeedReport,
) -> None:
    """Write one chunk of people and their rows; `last_sequence` (per retirement year) moves on as they get
    their certificate numbers."""
    rows: list[Retiree] = []
    for draft in drafts:
        year = draft.retirement_date.year
        last_sequence[year] = last_sequence.get(year, 0) + 1
        rows.append(
            Retiree(
                id_number=draft.id_number,
                name=draft.name,
                sex=draft.sex,
                birth_date=draft.birth_date,
                phone=draft.phone,
                address=draft.address,
                community=units[draft.community_code],
                residence=draft.residence,
                remote_province=draft.remote_province,
                remote_city=draft.remote_city,
                remote_address=draft.remote_address,
                employer=employers[draft.employer_name] if draft.employer_name else None,
                work_start_date=draft.work_start_date,
                retirement_date=draft.retirement_date,
                contribution_months=draft.contribution_months,
                certificate_number=f"{COUNTY_CODE}{year}{last_sequence[year]:05d}",
                status=draft.status,
                died_on=draft.died_on,
            )
        )
    Retiree.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    _count(report, "retirees", len(rows))
    # The search box finds names through these keys (registry.search); bulk_create bypasses any service.
    retiree_search_keys_rebuild(retiree_ids=[retiree.pk for retiree in rows])

    accounts: list[BankAccount] = []
    rates: list[PensionRate] = []
    agents: list[Agent] = []
    changes: list[StatusChange] = []
    for draft, retiree in zip(drafts, rows, strict=True):
        accounts.append(
            BankAccount(
                retiree=retiree,
                bank=banks[draft.bank_code],
                account_number=draft.account_number,
                holder_name=draft.name,
                valid_from=draft.rates[0].effective_month.first_day,
            )
        )
        rates.extend(
            PensionRate(
                retiree=retiree,
                amount=rate.amount,
                effective_month=rate.effective_month.number,  # the field stores yyyymm
                reason=rate.reason,
                note=rate.note,
            )
            for rate in draft.rates
        )
        if draft.agent:
            agents.append(
                Agent(
                    retiree=retiree,
                    name=draft.agent.name,
                    id_number=draft.agent.id_number,
                    relation=draft.agent.relation,
                    phone=draft.agent.phone,
                    valid_from=draft.agent.valid_from,
                )
            )
        if draft.status_change:
            changes.append(
                StatusChange(
                    retiree=retiree,
                    from_status=Retiree.Status.ACTIVE,
                    to_status=draft.status_change.to_status,
                    effective_date=draft.status_change.effective_date,
                    reason=draft.status_change.reason,
                    actor=suspension_actor
                    if draft.status_change.to_status == Retiree.Status.SUSPENDED
                    else actor,
                )
            )
    BankAccount.objects.bulk_create(accounts, batch_size=BATCH_SIZE)
    PensionRate.objects.bulk_create(rates, batch_size=BATCH_SIZE)
    Agent.objects.bulk_create(agents, batch_size=BATCH_SIZE)
    StatusChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    _count(report, "bank_accounts", len(accounts))
    _count(report, "pension_rates", len(rates))
    _count(report, "agents", len(agents))
    _count(report, "status_changes", len(changes))
