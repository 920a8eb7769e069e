"""Text bank files rendered by PostgreSQL are byte for byte the Python writer's (the oracle under tests/), and
refuse exactly the lines the writer refuses, with the same Chinese messages."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from pensions.bankfiles import (
    BankFileProfile,
    FieldSpec,
    InvalidLinesError,
    PaymentLine,
    UnencodableLines,
)
from pensions.bankfiles.profiles import CCB_CSV, EBANK, GENERIC_CSV, PSBC, SHIPPED_PROFILES
from pensions.bankfiles.sql_render import (
    LINE_COLUMNS,
    LineSource,
    StoredFile,
    check_lines,
    doubtful_lines_statement,
    render_statement,
    summary_problem,
)
from pensions.bankfiles.writer import file_name
from pensions.models import BankFile, PayoutPlan
from tests.pensions.bankfiles.helpers import CONTEXT, LI, ZHANG, line
from tests.pensions.bankfiles.reference_text_renderer import render_text_bank_file

TEXT_PROFILES = [profile for profile in SHIPPED_PROFILES.values() if profile.layout != "xlsx"]
PSBC_18030 = dataclasses.replace(PSBC, code="psbc18030", encoding="gb18030")
# A county's own fixed profile: names cut at a character boundary, a township, amounts in yuan, a trailer, LF.
CUTTING = dataclasses.replace(
    PSBC,
    code="cutting",
    unit="yuan",
    line_ending="lf",
    fields=(
        FieldSpec("seq", width=6, align="right", pad="0", kind="digits"),
        FieldSpec("name", width=7, truncate=True),
        FieldSpec("township", width=5, truncate=True),
        FieldSpec("account_number", width=20, kind="digits"),
        FieldSpec("amount", width=12, align="right", kind="amount"),
        FieldSpec("reference", width=12),
        FieldSpec("literal", width=2, value="01"),
    ),
    trailer=(
        FieldSpec("literal", width=1, value="T"),
        FieldSpec("count", width=6, align="right", pad="0", kind="digits"),
        FieldSpec("total", width=14, align="right", pad="0", kind="amount"),
        FieldSpec("bank_code", width=14),
        FieldSpec("month", width=6, kind="digits"),
    ),
)
CUTTING_18030 = dataclasses.replace(CUTTING, code="cutting18030", encoding="gb18030")
EBANK_FEN = dataclasses.replace(EBANK, code="ebank_fen", unit="fen", line_ending="lf")
CSV_UTF8_PLAIN = dataclasses.replace(GENERIC_CSV, code="csv_utf8", bom=False, column_labels=False)
ALL_TEXT = [*TEXT_PROFILES, PSBC_18030, CUTTING, CUTTING_18030, EBANK_FEN, CSV_UTF8_PLAIN]

# Lines every text profile can write: fen and yuan amounts, a comma and quotes (quoted in CSV), a middle dot
# (GBK holds it), names at and past a fixed width (cut by CUTTING), an X in an ID, an empty township.
GOOD = [
    ZHANG,
    LI,
    line(3, name="欧阳秀", amount="0.01"),
    line(4, name="阿不都·热合曼", amount="1234.56", township=""),
    line(5, name='张"三",四', amount="0.05"),
    line(6, name="王小明明明明明明明明", amount="99999.99", township="梅林镇长岭村"),  # 20 bytes in GBK
    line(7, name="Li Ming", amount="10", township="A"),
    line(8, name="李a", amount="3000.10", township="城关镇城关"),
    line(9, name="赵 钱", amount="1.20", id_number="36072119520202123x"),
]


def source_of(lines: Sequence[PaymentLine]) -> LineSource:
    """The lines as a LineSource, in the given order, from arrays: the renderer sees what a plan gives it."""
    columns = {column: [getattr(item, column) for item in lines] for column in LINE_COLUMNS}
    types = {"amount": "numeric"}
    arrays = ", ".join(
        f"%(src_{column})s::{types.get(column, 'text')}[]" for column in ("ord", *LINE_COLUMNS)
    )
    return LineSource(
        sql=f"SELECT * FROM unnest({arrays}) AS t(ord, {', '.join(LINE_COLUMNS)})",  # noqa: S608
        params={
            "src_ord": list(range(1, len(lines) + 1)),
            **{f"src_{column}": values for column, values in columns.items()},
        },
    )


@pytest.fixture
def plan(county) -> PayoutPlan:
    return PayoutPlan.objects.create(month=202604, created_by=county.clerk, generated_at=timezone.now())


def stored_for(plan, bank, profile, total, context=CONTEXT) -> StoredFile:
    return StoredFile(
        plan_id=plan.pk,
        one_off_batch_id=None,
        bank_id=bank.pk,
        name=file_name(profile, context),
        profile_code=profile.code,
        profile_json=json.dumps(profile.to_dict(), ensure_ascii=False),
        created_by_id=plan.created_by_id,
        created_at=timezone.now(),
        expected_total=total,
    )


def render_in_sql(plan, bank, profile, lines, *, force=False, total=None, context=CONTEXT):
    expected = total if total is not None else sum((item.amount for item in lines), Decimal("0.00"))
    stored = stored_for(plan, bank, profile, expected, context)
    with connection.cursor() as cursor:
        cursor.execute(
            *render_statement(profile, source=source_of(lines), context=context, stored=stored, force=force)
        )
        return cursor.fetchone()


def sql_refusal(profile, lines, context=CONTEXT) -> InvalidLinesError | None:
    """What the export does when the statement stores nothing: read the doubtful lines back and check them."""
    with connection.cursor() as cursor:
        cursor.execute(*doubtful_lines_statement(profile, source=source_of(lines)))
        rows = cursor.fetchall()
    doubtful = [
        (number, PaymentLine(**dict(zip(LINE_COLUMNS, values, strict=True))))
        for _count, _total, number, *values in rows
        if number is not None
    ]
    try:
        check_lines(profile, doubtful, count=int(rows[0][0]), total=Decimal(rows[0][1]), context=context)
    except InvalidLinesError as error:
        return error
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ALL_TEXT, ids=lambda profile: profile.code)
def test_postgresql_writes_the_python_writers_bytes(plan, banks, profile):
    lines = GOOD
    expected = render_text_bank_file(profile, lines, context=CONTEXT)

    row = render_in_sql(plan, banks["psbc"], profile, lines)

    assert row is not None
    stored = BankFile.objects.get(pk=row[0])
    assert bytes(stored.content) == expected.content
    assert stored.sha256 == hashlib.sha256(expected.content).hexdigest() == expected.sha256
    assert (stored.line_count, stored.total, row[1], row[2]) == (
        len(lines),
        expected.total,
        len(lines),
        expected.total,
    )
    assert (stored.name, stored.content_type, stored.profile_code) == (
        expected.name,
        "text/plain",
        profile.code,
    )
    assert BankFileProfile.from_dict(stored.profile) == profile


@pytest.mark.django_db
@pytest.mark.parametrize("profile", [PSBC_18030, CUTTING_18030], ids=lambda profile: profile.code)
def test_gb18030_holds_the_rare_characters_byte_for_byte(plan, banks, profile):
    lines = [
        line(1, name="王䶮"),
        line(2, name="吉𠮷"),
        line(3, name="曾㛃", amount="0.07"),
        line(4, name="䶮䶮䶮䶮"),
    ]
    expected = render_text_bank_file(profile, lines, context=CONTEXT)

    row = render_in_sql(plan, banks["psbc"], profile, lines)

    assert row is not None
    content = bytes(BankFile.objects.get(pk=row[0]).content)
    assert content == expected.content
    assert "王䶮".encode("gb18030") in content


@pytest.mark.django_db
def test_a_cut_name_keeps_whole_characters(plan, banks):
    lines = [line(1, name="欧阳秀兰"), line(2, name="李a秀兰"), line(3, name="Zhangsan")]  # 8, 7, 8 bytes

    row = render_in_sql(plan, banks["psbc"], CUTTING, lines)

    records = bytes(BankFile.objects.get(pk=row[0]).content).split(b"\n")
    # 7 bytes of GBK: three characters and a space, never half of the fourth; a name of 7 bytes whole.
    assert [record[6:13] for record in records[1:4]] == [  # after the header
        "欧阳秀 ".encode("gbk"),
        "李a秀兰".encode("gbk"),
        b"Zhangsa",
    ]
    assert (
        bytes(BankFile.objects.get(pk=row[0]).content)
        == render_text_bank_file(CUTTING, lines, context=CONTEXT).content
    )


# Lines a profile cannot write: (profile, lines). The writer's refusal and the SQL path's are the same.
REFUSED = {
    "gbk_rare": (PSBC, [ZHANG, line(2, name="王䶮"), line(3, name="吉𠮷")]),
    "gbk_euro": (EBANK, [line(1, name="欧€元")]),  # PostgreSQL's GBK holds €, Python's (the rule) does not
    "gbk_csv_rare": (CCB_CSV, [line(1, name="曾㛃"), LI]),
    "name_too_wide": (PSBC, [line(1, name="王小明明明明明明明明明")]),  # 22 bytes in a 20-byte field
    "account_too_wide": (PSBC, [line(1, account_number="6" * 31)]),
    "not_digits": (EBANK, [ZHANG, line(2, id_number="36072119500101123Y")]),
    "control": (GENERIC_CSV, [line(1, name="张\t三")]),
    "blank_name": (EBANK, [line(1, name="\u3000 ")]),
    "delimiter": (EBANK, [line(1, name="张|三"), line(2, township="城|关")]),
    "zero": (EBANK, [ZHANG, line(2, amount="0.00")]),
    "negative": (PSBC, [line(1, amount="-5.00"), line(2, name="王䶮")]),
    "count_too_wide": (
        dataclasses.replace(
            CUTTING,
            code="narrow",
            trailer=(*CUTTING.trailer[:1], FieldSpec("count", width=1, kind="digits"), *CUTTING.trailer[2:]),
        ),
        [line(number) for number in range(1, 11)],
    ),
    "total_too_wide": (
        dataclasses.replace(
            PSBC,
            code="narrow_total",
            header=(
                *PSBC.header[:3],
                FieldSpec("total", width=6, align="right", pad="0", kind="amount"),
                *PSBC.header[4:],
            ),
        ),
        [line(1, amount="5000.00"), line(2, amount="5000.00")],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_postgresql_refuses_what_the_writer_refuses_with_its_message(plan, banks, case):
    profile, lines = REFUSED[case]
    with pytest.raises(InvalidLinesError) as oracle:
        render_text_bank_file(profile, lines, context=CONTEXT)

    assert render_in_sql(plan, banks["psbc"], profile, lines) is None
    refusal = sql_refusal(profile, lines)

    assert refusal is not None
    assert type(refusal) is type(oracle.value)
    assert refusal.message == oracle.value.message
    assert refusal.problems == oracle.value.problems
    if isinstance(oracle.value, UnencodableLines):
        assert isinstance(refusal, UnencodableLines)
        assert refusal.lines == oracle.value.lines
    assert BankFile.objects.count() == 0


@pytest.mark.django_db
def test_the_unencodable_message_names_the_line(plan, banks):
    refusal = sql_refusal(PSBC, [ZHANG, line(2, name="王䶮")])

    assert isinstance(refusal, UnencodableLines)
    assert [(item.number, item.reference, item.name, item.characters) for item in refusal.lines] == [
        (2, "P12L2", "王䶮", "䶮")
    ]
    assert refusal.message == (
        "有 1 条记录含有 GBK 编码无法表示的字符,银行文件没有生成。"
        "请人工处理这些人员(如改用银行认可的写法或单独发放):第 2 条 P12L2 王䶮:䶮(U+4DAE)"
    )


@pytest.mark.django_db
def test_a_file_whose_total_differs_from_the_bank_total_is_not_stored(plan, banks):
    assert render_in_sql(plan, banks["psbc"], EBANK, [ZHANG, LI], total=Decimal("4145.59")) is None
    assert render_in_sql(plan, banks["psbc"], EBANK, [ZHANG, LI], total=Decimal("4145.60")) is not None
    assert BankFile.objects.get().total == Decimal("4145.60")


@pytest.mark.django_db
def test_a_header_text_that_cannot_be_written_is_found_before_the_statement(plan, banks):
    context = dataclasses.replace(CONTEXT, batch="P" + "1" * 20)  # 21 bytes in PSBC's 20-byte batch field

    assert summary_problem(PSBC, context=context)
    assert not summary_problem(PSBC, context=CONTEXT)
    with pytest.raises(InvalidLinesError) as oracle:
        render_text_bank_file(PSBC, [ZHANG], context=context)
    assert sql_refusal(PSBC, [ZHANG], context=context).message == oracle.value.message


@pytest.mark.django_db
def test_every_field_value_is_a_parameter(plan, banks):
    # A literal, a label and a file name with quotes and SQL in them are written as text, never run.
    hostile = dataclasses.replace(
        CCB_CSV,
        code="hostile",
        fields=(
            *CCB_CSV.fields,
            FieldSpec("literal", value="'); DROP TABLE pensions_bankfile; --", label="x'y"),
        ),
        file_name="CCB_'{month}'.csv",
    )
    context = dataclasses.replace(CONTEXT, county_code="36'07")
    row = render_in_sql(plan, banks["psbc"], hostile, [ZHANG], context=context)

    stored = BankFile.objects.get(pk=row[0])
    assert bytes(stored.content) == render_text_bank_file(hostile, [ZHANG], context=context).content
    assert stored.name == "CCB_'202604'.csv"


@pytest.mark.django_db
def test_force_writes_a_doubtful_line_the_checks_let_through(plan, banks):
    # Nothing in the shipped rules is doubtful yet writable; force is the safety net when a check in SQL is
    # stricter than the writer's: the file is then rendered with every line converted.
    lines = [ZHANG, LI]
    row = render_in_sql(plan, banks["psbc"], PSBC, lines, force=True)
    assert (
        bytes(BankFile.objects.get(pk=row[0]).content)
        == render_text_bank_file(PSBC, lines, context=CONTEXT).content
    )
