"""Checking every row of an import file against the rules, the rest of the file and the database.

Nothing here writes. The result lists the good rows, typed and normalised for the writer, and every rejected
row with its row number, its cells as given and each reason in Chinese. A row with one bad cell is refused
whole: the clerk corrects it in the rejected-rows file and uploads that file again.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import access
from ..id_numbers import mask_resident_id, parse_resident_id
from ..models import Bank, OrgUnit, Retiree, Staff
from ..months import PensionMonth
from ..search import normalise_name
from .columns import COLUMNS
from .reading import Cell, Table

_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("9999999999.99")  # numeric(12,2)
_MAX_CONTRIBUTION_MONTHS = 900
_DATE_SEPARATED = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+0{1,2}:0{2}(?::0{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_TEXT = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})月?$")
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE]\+?\d+$")
_ACCOUNT = re.compile(r"^\d{8,32}$")
_NAME_MARKS = frozenset("·•.")
_LOCAL = frozenset({"", "本地", "本地居住"})
_REMOTE = frozenset({"异地", "异地居住"})
_STATUSES = {"": Retiree.Status.ACTIVE, "正常": Retiree.Status.ACTIVE, "正常发放": Retiree.Status.ACTIVE}
_STATUSES |= {"暂停": Retiree.Status.SUSPENDED, "暂停发放": Retiree.Status.SUSPENDED}
# Marked for translation, translated only when a refusal names them; marked here once rather than per row.
_REMOTE_PARTS = (gettext_noop("省份"), gettext_noop("城市"), gettext_noop("地址"))
_REMOTE_PROVINCE = gettext_noop("异地居住省份")
_REMOTE_CITY = gettext_noop("异地居住城市")
_REMOTE_ADDRESS = gettext_noop("异地居住地址")
_EMPLOYER = gettext_noop("原单位")
_WORK_START = gettext_noop("参加工作时间")
_RETIREMENT = gettext_noop("退休时间")
_HOLDER = gettext_noop("户名")
_CERTIFICATE = gettext_noop("待遇证号")
_PHONE = gettext_noop("联系电话")
_ADDRESS = gettext_noop("住址")
_SEXES = {"男": Retiree.Sex.MALE, "女": Retiree.Sex.FEMALE}
_CHUNK = 10_000


@dataclass(slots=True)
class GoodRow:
    """One row that passed every check, in the registry's own types."""

    row_number: int
    cells: list[str]  # every cell of the row as text, in the file's column order: staged with the row
    id_number: str
    id_number_original: str
    name: str
    sex: str
    birth_date: datetime.date
    community_id: int
    residence: str
    remote_province: str
    remote_city: str
    remote_address: str
    employer_name: str
    work_start_date: datetime.date | None
    retirement_date: datetime.date
    contribution_months: int
    amount: Decimal
    start_month: PensionMonth
    bank_id: int
    account_number: str
    holder_name: str
    certificate_number: str | None
    phone: str
    address: str
    status: str


@dataclass(slots=True)
class RejectedRow:
    row_number: int
    cells: list[str]  # every cell of the row as text, in the file's column order
    reasons: list[str]
    name: str = ""
    id_number: str = ""


@dataclass
class CheckResult:
    headers: list[str]
    total: int
    good: list[GoodRow]
    rejected: list[RejectedRow]
    # Rejected rows whose ID number is already registered (the import reports them as skipped).
    already_registered: int = 0


@dataclass
class _Lookups:
    """What the rows are checked against, loaded once per check."""

    townships: dict[str, int]
    communities: dict[tuple[int, str], int]
    community_townships: dict[str, list[str]]  # community name → the townships that have one of that name
    banks: dict[str, tuple[int, bool, str]]  # name or upper-case code → (id, active, name)
    scope: frozenset[int] | None  # community ids the user may import into; None for the whole county

    @classmethod
    def load(cls, user: Staff) -> _Lookups:
        township_names: dict[int, str] = {}
        townships: dict[str, int] = {}
        for unit_id, name in OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP).values_list("id", "name"):
            townships[name] = unit_id
            township_names[unit_id] = name
        communities: dict[tuple[int, str], int] = {}
        community_townships: dict[str, list[str]] = defaultdict(list)
        for unit_id, name, parent_id in OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNITY).values_list(
            "id", "name", "parent_id"
        ):
            if parent_id is None:
                continue
            communities[(parent_id, name)] = unit_id
            community_townships[name].append(township_names.get(parent_id, ""))
        banks: dict[str, tuple[int, bool, str]] = {}
        for bank_id, code, name, active in Bank.objects.values_list("id", "code", "name", "is_active"):
            banks[name] = banks[code.upper()] = (bank_id, active, name)
        scope = None if access.sees_whole_county(user) else frozenset(access.visible_community_ids(user))
        return cls(townships, communities, dict(community_townships), banks, scope)


def cell_text(cell: Cell) -> str:
    """A cell as the clerk reads it: Excel's 12.0 is "12", a date cell is 2018-03-31."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, datetime.datetime):
        return cell.date().isoformat() if cell.time() == datetime.time(0) else cell.isoformat(sep=" ")
    if isinstance(cell, datetime.date | datetime.time):
        return cell.isoformat()
    return str(cell).strip()


def row_texts(cells: Sequence[Cell], width: int) -> list[str]:
    """Every cell of a row as text, one per header column: what the rejected-rows file shows."""
    texts = [
        "" if cell is None else cell.strip() if cell.__class__ is str else cell_text(cell)
        for cell in cells[:width]
    ]
    texts.extend("" for _index in range(width - len(texts)))
    return texts


def parse_date(cell: Cell) -> datetime.date | None:
    """yyyy-mm-dd, yyyy/m/d, yyyymmdd or an Excel date cell; None when blank; ValueError when not a date."""
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = cell_text(cell)
    if not text:
        return None
    match = _DATE_SEPARATED.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(text)
    return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def parse_month(cell: Cell) -> PensionMonth:
    """yyyy-mm or yyyymm; Excel turns a typed 2026-01 into a date, so a date cell counts as its month."""
    if isinstance(cell, datetime.date):
        return PensionMonth(cell.year, cell.month)
    text = cell_text(cell)
    match = _MONTH_TEXT.match(text)
    if match:
        return PensionMonth(int(match.group(1)), int(match.group(2)))
    day = parse_date(text)
    if day is None or day.day != 1:
        raise ValueError(text)
    return PensionMonth.of(day)


def parse_amount(cell: Cell) -> Decimal:
    if isinstance(cell, bool):
        raise InvalidOperation
    # repr of a float is its shortest exact decimal: 2650.1 stays 2650.1, never 2650.0999999…
    text = repr(cell) if isinstance(cell, float) else cell_text(cell)
    text = text.replace(",", "").replace("¥", "").replace("¥", "").strip()
    amount = Decimal(text)
    if not amount.is_finite():
        raise InvalidOperation
    return amount


def _checked_name(text: str) -> tuple[str, str | None]:
    """The name as stored and the reason it is refused, if it is."""
    name = normalise_name(text)
    if not name:
        return name, _("缺少姓名")
    if len(name) > 50:
        return name, _("姓名超过50个字")
    if not all(ch.isalpha() or ch in _NAME_MARKS for ch in name):
        return name, _("姓名“%(name)s”含有数字、符号或空白") % {"name": name}
    return name, None


def _checked_amount(cell: Cell, text: str) -> tuple[Decimal | None, str | None]:
    """The monthly amount in cents or the reason it is refused; `text` is the cell as text."""
    if not text:
        return None, _("缺少月养老金")
    try:
        amount = parse_amount(cell)
    except (InvalidOperation, ValueError):
        return None, _("月养老金“%(value)s”不是数字") % {"value": text}
    if amount <= 0:
        return None, _("月养老金应大于0,收到的是 %(value)s") % {"value": text}
    if amount != amount.quantize(_CENT):
        return None, _("月养老金“%(value)s”超过两位小数") % {"value": text}
    if amount > _MAX_AMOUNT:
        return None, _("月养老金“%(value)s”过大") % {"value": text}
    return amount.quantize(_CENT), None


def _is_text(cell: Cell) -> bool:
    """A text or empty cell: everything about it is in its text, so what it gives can be kept by that text."""
    return cell is None or cell.__class__ is str


class RowChecker:
    """Checks one row at a time; `finish` adds what needs the whole file and the database.

    Dates, months, amounts, names, communities and banks repeat a great deal across a file of 100,000 rows,
    so what a text gives (the value or the reason it is refused) is worked out once per checker and kept by
    that text: only for text cells (a number or date cell is read by its type), and only what the text alone
    decides (a start month's order against the row's own retirement is checked per row). A checker lives for
    one check, in one language, so the kept reasons are in the language of the check.
    """

    def __init__(self, table: Table, *, user: Staff, today: datetime.date) -> None:
        self.table = table
        self.today = today
        self.lookups = _Lookups.load(user)
        self.index = table.index
        self.width = len(table.headers)
        # Where each column's text is in a row's texts; an optional column the file lacks reads the blank text
        # check() appends after them.
        self.at = {column.key: table.index.get(column.key, self.width) for column in COLUMNS}
        self._names: dict[str, tuple[str, str | None]] = {}
        self._days: dict[str, datetime.date | None] = {}
        self._months: dict[str, PensionMonth] = {}
        self._amounts: dict[str, tuple[Decimal | None, str | None]] = {}
        self._communities: dict[tuple[str, str], tuple[int | None, list[str]]] = {}
        self._banks: dict[str, tuple[int | None, str | None]] = {}

    def _get(self, cells: list[Cell], key: str) -> Cell:
        position = self.index.get(key)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def check(self, row_number: int, cells: list[Cell]) -> GoodRow | RejectedRow:  # noqa: C901
        reasons: list[str] = []
        at = self.at
        # Each cell is turned into text once; the few columns whose cell type matters also read the cell.
        texts = row_texts(cells, self.width)
        text = [*texts, ""]

        name_text = text[at["name"]]
        checked_name = self._names.get(name_text)
        if checked_name is None:
            checked_name = self._names[name_text] = _checked_name(name_text)
        name, name_refused = checked_name
        if name_refused:
            reasons.append(name_refused)

        id_cell = self._get(cells, "id_number")
        id_text = text[at["id_number"]]
        resident = None
        if isinstance(id_cell, float | int) or _SCIENTIFIC.match(id_text):
            reasons.append(_("身份证号码被Excel转成了数字,请将该列设为文本后重新导出"))
        elif not id_text:
            reasons.append(_("缺少身份证号码"))
        else:
            try:
                resident = parse_resident_id(id_text, today=self.today)
            except ValidationError as error:
                reasons.extend(error.messages)

        sex_text = text[at["sex"]]
        if resident and sex_text:
            given_sex = _SEXES.get(sex_text)
            if given_sex is None:
                reasons.append(_("性别只能填“男”或“女”"))
            elif given_sex != resident.sex:
                reasons.append(_("性别“%(sex)s”与身份证号码不符") % {"sex": sex_text})

        place = (text[at["township"]], text[at["community"]])
        community = self._communities.get(place)
        if community is None:
            community = self._communities[place] = self._community(*place)
        community_id, community_refused = community
        reasons.extend(community_refused)

        residence_text = text[at["residence"]]
        province = text[at["remote_province"]]
        city = text[at["remote_city"]]
        remote_address = text[at["remote_address"]]
        residence = Retiree.Residence.LOCAL
        if residence_text in _REMOTE:
            residence = Retiree.Residence.REMOTE
            missing = [
                label
                for label, value in zip(_REMOTE_PARTS, (province, city, remote_address), strict=True)
                if not value
            ]
            if missing:
                parts = "、".join(_(label) for label in missing)
                reasons.append(_("异地居住须填写居住%(parts)s") % {"parts": parts})
        elif residence_text not in _LOCAL:
            reasons.append(_("居住类型只能填“本地”或“异地”"))
        else:
            province = city = remote_address = ""
        self._length(reasons, _REMOTE_PROVINCE, province, 30)
        self._length(reasons, _REMOTE_CITY, city, 50)
        self._length(reasons, _REMOTE_ADDRESS, remote_address, 200)

        employer = text[at["employer"]]
        self._length(reasons, _EMPLOYER, employer, 200)

        birth = resident.birth_date if resident else None
        work_start = self._date(
            self._get(cells, "work_start_date"),
            text[at["work_start_date"]],
            _WORK_START,
            reasons,
            required=False,
        )
        retirement = self._date(
            self._get(cells, "retirement_date"),
            text[at["retirement_date"]],
            _RETIREMENT,
            reasons,
            required=True,
        )
        if retirement and retirement > self.today:
            reasons.append(_("退休时间 %(date)s 晚于今天") % {"date": retirement.isoformat()})
        if birth and retirement and retirement <= birth:
            reasons.append(_("退休时间早于出生日期"))
        if birth and work_start and work_start <= birth:
            reasons.append(_("参加工作时间早于出生日期"))
        if work_start and retirement and work_start >= retirement:
            reasons.append(_("参加工作时间晚于退休时间"))

        contribution_months = 0
        months_text = text[at["contribution_months"]]
        if months_text:
            if months_text.isdigit() and int(months_text) <= _MAX_CONTRIBUTION_MONTHS:
                contribution_months = int(months_text)
            else:
                reasons.append(_("缴费月数“%(value)s”应为0至900的整数") % {"value": months_text})

        amount_cell = self._get(cells, "amount")
        amount_text = text[at["amount"]]
        if _is_text(amount_cell):
            checked_amount = self._amounts.get(amount_text)
            if checked_amount is None:
                checked_amount = self._amounts[amount_text] = _checked_amount(amount_cell, amount_text)
        else:
            checked_amount = _checked_amount(amount_cell, amount_text)
        amount, amount_refused = checked_amount
        if amount_refused:
            reasons.append(amount_refused)

        start_month = None
        start_text = text[at["start_month"]]
        if not start_text:
            reasons.append(_("缺少起始月份"))
        else:
            try:
                start_month = self._month(self._get(cells, "start_month"), start_text)
            except ValueError:
                reasons.append(
                    _("起始月份“%(value)s”不是有效月份,应写作 2026-01 或 202601") % {"value": start_text}
                )
            else:
                if retirement and start_month <= PensionMonth.of(retirement):
                    reasons.append(_("起始月份 %(month)s 早于退休次月") % {"month": str(start_month)})

        bank_text = text[at["bank"]]
        bank = self._banks.get(bank_text)
        if bank is None:
            bank = self._banks[bank_text] = self._bank(bank_text)
        bank_id, bank_refused = bank
        if bank_refused:
            reasons.append(bank_refused)

        account_cell = self._get(cells, "account_number")
        account = "".join(text[at["account_number"]].split()).replace("-", "")
        if isinstance(account_cell, float | int) or _SCIENTIFIC.match(account):
            reasons.append(_("银行账号被Excel转成了数字,请将该列设为文本后重新导出"))
        elif not account:
            reasons.append(_("缺少银行账号"))
        elif not _ACCOUNT.match(account):
            reasons.append(_("银行账号“%(value)s”应为8至32位数字") % {"value": account})

        holder = normalise_name(text[at["holder_name"]]) or name
        self._length(reasons, _HOLDER, holder, 50)
        certificate = text[at["certificate_number"]] or None
        if certificate:
            self._length(reasons, _CERTIFICATE, certificate, 30)
        phone = text[at["phone"]]
        self._length(reasons, _PHONE, phone, 30)
        address = text[at["address"]]
        self._length(reasons, _ADDRESS, address, 200)
        status_text = text[at["status"]]
        status = _STATUSES.get(status_text)
        if status is None:
            reasons.append(
                _("状态“%(value)s”无法导入:只能是“正常”或“暂停”(死亡、终止人员不导入)")
                % {"value": status_text}
            )

        if reasons or resident is None or community_id is None or retirement is None:
            return RejectedRow(row_number, texts, reasons, name=name, id_number=id_text)
        assert amount is not None and start_month is not None and bank_id is not None  # noqa: S101
        assert status is not None  # noqa: S101 - each None above added a reason
        return GoodRow(
            row_number=row_number,
            cells=texts,
            id_number=resident.number,
            id_number_original=resident.original,
            name=name,
            sex=resident.sex,
            birth_date=resident.birth_date,
            community_id=community_id,
            residence=residence,
            remote_province=province,
            remote_city=city,
            remote_address=remote_address,
            employer_name=employer,
            work_start_date=work_start,
            retirement_date=retirement,
            contribution_months=contribution_months,
            amount=amount,
            start_month=start_month,
            bank_id=bank_id,
            account_number=account,
            holder_name=holder,
            certificate_number=certificate,
            phone=phone,
            address=address,
            status=status,
        )

    @staticmethod
    def _length(reasons: list[str], label: str, value: str, limit: int) -> None:
        """`label` is marked with gettext_noop and translated only for a refusal: gettext for every cell
        of 100,000 rows cost a fifth of the check."""
        if len(value) > limit:
            reasons.append(_("%(label)s超过%(limit)d个字") % {"label": _(label), "limit": limit})

    def _day(self, cell: Cell, text: str) -> datetime.date | None:
        """parse_date of the cell, kept by its text for a text cell."""
        if not _is_text(cell):
            return parse_date(cell)
        if text in self._days:
            return self._days[text]
        day = self._days[text] = parse_date(text)
        return day

    def _month(self, cell: Cell, text: str) -> PensionMonth:
        """parse_month of the cell, kept by its text for a text cell."""
        if not _is_text(cell):
            return parse_month(cell)
        month = self._months.get(text)
        if month is None:
            month = self._months[text] = parse_month(text)
        return month

    def _date(
        self, cell: Cell, text: str, label: str, reasons: list[str], *, required: bool
    ) -> datetime.date | None:
        """`label` is marked with gettext_noop, translated only when the date is refused."""
        try:
            day = self._day(cell, text)
        except ValueError:
            reasons.append(
                _("%(label)s“%(value)s”不是有效日期,应写作 2018-03-31、2018/3/31 或 20180331")
                % {"label": _(label), "value": text}
            )
            return None
        if day is None and required:
            reasons.append(_("缺少%(label)s") % {"label": _(label)})
        if day is not None and day.year < 1900:
            reasons.append(
                _("%(label)s %(date)s 不在合理范围内") % {"label": _(label), "date": day.isoformat()}
            )
            return None
        return day

    def _community(self, township: str, community: str) -> tuple[int | None, list[str]]:
        """The community's id, or None, with the reasons it is refused."""
        reasons: list[str] = []
        lookups = self.lookups
        township_id = lookups.townships.get(township)
        if not township:
            reasons.append(_("缺少乡镇(街道)"))
        elif township_id is None:
            reasons.append(_("没有名为“%(name)s”的乡镇(街道)") % {"name": township})
        if not community:
            reasons.append(_("缺少社区(村居)"))
            return None, reasons
        if township_id is None:
            return None, reasons
        community_id = lookups.communities.get((township_id, community))
        if community_id is None:
            elsewhere = lookups.community_townships.get(community)
            if elsewhere:
                reasons.append(
                    _("社区(村居)“%(community)s”不属于“%(township)s”,而属于“%(others)s”")
                    % {"community": community, "township": township, "others": "、".join(elsewhere)}
                )
            else:
                reasons.append(_("没有名为“%(name)s”的社区(村居)") % {"name": community})
            return None, reasons
        if lookups.scope is not None and community_id not in lookups.scope:
            reasons.append(
                _("“%(township)s%(community)s”不在您的管辖范围内")
                % {"township": township, "community": community}
            )
            return None, reasons
        return community_id, reasons

    def _bank(self, text: str) -> tuple[int | None, str | None]:
        """The bank's id, or None with the reason it is refused."""
        if not text:
            return None, _("缺少发放银行")
        found = self.lookups.banks.get(text) or self.lookups.banks.get(text.upper())
        if found is None:
            return None, _("没有名称或编码为“%(name)s”的发放银行") % {"name": text}
        bank_id, active, name = found
        if not active:
            return None, _("发放银行“%(name)s”已停用") % {"name": name}
        return bank_id, None


def check_table(
    table: Table,
    *,
    user: Staff,
    today: datetime.date,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
    progress_every: int = 2_000,
) -> CheckResult:
    """Check every row. A row whose ID number is already in the registry is rejected, naming the registered
    person: in the dry run and again at the import, where it may have been registered since."""
    checker = RowChecker(table, user=user, today=today)
    total = len(table.rows)
    outcomes: list[GoodRow | RejectedRow] = []
    for done, (row_number, cells) in enumerate(table.rows, start=1):
        outcomes.append(checker.check(row_number, cells))
        if done % progress_every == 0:
            progress(done, total)
    progress(total, total)
    extra: dict[int, list[str]] = defaultdict(list)
    registered_rows: set[int] = set()
    rows_by_id = _rows_by_id(outcomes)
    _duplicates_in_file(outcomes, rows_by_id, table, extra)
    _registered(outcomes, rows_by_id, extra, registered_rows)

    good: list[GoodRow] = []
    rejected: list[RejectedRow] = []
    for outcome in outcomes:
        more = extra.get(outcome.row_number)
        if isinstance(outcome, RejectedRow):
            outcome.reasons.extend(more or ())
            rejected.append(outcome)
        elif more:
            rejected.append(
                RejectedRow(
                    outcome.row_number, outcome.cells, more, name=outcome.name, id_number=outcome.id_number
                )
            )
        else:
            good.append(outcome)
    return CheckResult(
        headers=table.headers,
        total=total,
        good=good,
        rejected=rejected,
        already_registered=len(registered_rows),
    )


def _rows_by_id(outcomes: Sequence[GoodRow | RejectedRow]) -> dict[str, list[int]]:
    """The rows of each normalised ID number, in file order; a rejected row's number is normalised when it
    can be (its other cells may be what refused it)."""
    rows_by_id: dict[str, list[int]] = defaultdict(list)
    # Once for the whole file: the current date is a clock read, and one per rejected row showed in profiles.
    today = timezone.localdate()
    for outcome in outcomes:
        if isinstance(outcome, GoodRow):
            number: str | None = outcome.id_number
        else:
            try:
                number = (
                    parse_resident_id(outcome.id_number, today=today).number if outcome.id_number else None
                )
            except ValidationError:
                number = None
        if number:
            rows_by_id[number].append(outcome.row_number)
    return rows_by_id


def _duplicates_in_file(
    outcomes: Sequence[GoodRow | RejectedRow],
    by_id: dict[str, list[int]],
    table: Table,
    extra: dict[int, list[str]],
) -> None:
    """Every row of a repeated ID or certificate number is refused, each naming the others: which of them
    is right is for the clerk to decide, not for the import."""
    by_certificate: dict[str, list[int]] = defaultdict(list)
    certificate_position = table.index.get("certificate_number")
    for outcome in outcomes:
        if isinstance(outcome, GoodRow):
            certificate = outcome.certificate_number
        elif certificate_position is not None:
            certificate = outcome.cells[certificate_position]
        else:
            certificate = ""
        if certificate:
            by_certificate[certificate].append(outcome.row_number)
    for rows in by_id.values():
        for row in rows if len(rows) > 1 else ():
            others = "、".join(str(other) for other in rows if other != row)
            extra[row].append(_("身份证号码与第 %(rows)s 行重复") % {"rows": others})
    for rows in by_certificate.values():
        for row in rows if len(rows) > 1 else ():
            others = "、".join(str(other) for other in rows if other != row)
            extra[row].append(_("待遇证号与第 %(rows)s 行重复") % {"rows": others})


def _registered(
    outcomes: Sequence[GoodRow | RejectedRow],
    ids: dict[str, list[int]],
    extra: dict[int, list[str]],
    registered_rows: set[int],
) -> None:
    """ID and certificate numbers already in the registry, found with one query per 10,000 numbers."""
    certificates: dict[str, list[int]] = defaultdict(list)
    for outcome in outcomes:
        if isinstance(outcome, GoodRow) and outcome.certificate_number:
            certificates[outcome.certificate_number].append(outcome.row_number)
    with connection.cursor() as cursor:
        id_list = list(ids)
        for start in range(0, len(id_list), _CHUNK):
            cursor.execute(
                "SELECT id_number, name FROM registry_retiree WHERE id_number = ANY(%s)",
                [id_list[start : start + _CHUNK]],
            )
            for number, name in cursor.fetchall():
                for row in ids[number]:
                    registered_rows.add(row)
                    extra[row].append(
                        _("身份证号码已登记:%(name)s(%(id)s)")
                        % {"name": name, "id": mask_resident_id(number)}
                    )
        certificate_list = list(certificates)
        for start in range(0, len(certificate_list), _CHUNK):
            cursor.execute(
                "SELECT certificate_number, name, id_number FROM registry_retiree"
                " WHERE certificate_number = ANY(%s)",
                [certificate_list[start : start + _CHUNK]],
            )
            for certificate, name, number in cursor.fetchall():
                for row in certificates[certificate]:
                    if row not in registered_rows:
                        extra[row].append(
                            _("待遇证号 %(certificate)s 已属于 %(name)s(%(id)s)")
                            % {"certificate": certificate, "name": name, "id": mask_resident_id(number)}
                        )
