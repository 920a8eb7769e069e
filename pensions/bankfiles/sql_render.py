"""Text bank files rendered by PostgreSQL: one INSERT … SELECT per bank file (docs/bank-files.md).

This module only builds SQL text and its parameters from a profile; the plan code runs them. Every value that
comes from a profile or a context (literals, pads, widths, delimiters, labels, the file's name) is a query
parameter, never formatted into the SQL.

One statement per file reads the bank's lines in file order, formats each line (`convert_to`, padding by
bytes of the target encoding, CSV quoting), joins them with `string_agg`, adds the header, column labels and
trailer, and stores the bytes with their SHA-256, line count and total into pensions_bankfile, in the same
pass. The stored row is written only when

- no line is *doubtful*, i.e. refused by the writer's rules: a text value holding a character the encoding
  cannot hold (Python's codec decides, as the writer did: 䶮 in GBK), a control character, a blank name, a
  value that is not digits in a digits field, a value too wide for its fixed field, a delimiter in an unquoted
  field, an amount that is not a positive whole number of fen. These are regular expressions and lengths, so
  they cost little when nothing is wrong; a doubtful line is not converted at all (PostgreSQL's `convert_to`
  would stop the statement on a character the encoding lacks);
- the header/trailer fits its fields; and the file's total is the one the plan's bank total says.

Otherwise nothing is stored, and the doubtful lines (a handful, read back by `doubtful_lines_statement`) are
checked by `check_lines`: the writer's own checks, raising its Chinese messages naming the lines. Should they
all pass after all, the statement runs again with `force` (every line converted).

The SQL text is built from fixed fragments, column names of LINE_COLUMNS and placeholders only (ruff S608).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .errors import BankFileError
from .profiles import LITERAL, BankFileProfile, FieldSpec
from .writer import (
    UTF8_BOM,
    PaymentLine,
    RenderContext,
    _Encoder,
    _FieldError,
    _getter,
    _raise_if_any,
    _summary,
    _text,
    check_amounts,
)

# PostgreSQL's names of the profiles' encodings.
PG_ENCODINGS = {"gbk": "GBK", "gb18030": "GB18030", "utf-8": "UTF8"}


@functools.cache
def _unwritable(encoding: str) -> str:
    """A regular expression matching a character a text field cannot carry: a control character (the
    writer's rule), or one the encoding cannot hold as Python's codec says (the writer's rule too; GB18030
    and UTF-8 hold every character PostgreSQL text can carry, GBK nothing above U+FFFF). PostgreSQL's
    conversion maps every character Python's does to the same bytes (checked for every code point:
    docs/bank-files.md), so a line without such a character converts exactly as the writer encodes it."""
    if encoding != "gbk":
        return r"[\x01-\x1f\x7f]"
    ranges: list[tuple[int, int]] = []
    for code in range(0x20, 0x10000):
        if code == 0x7F:
            continue
        try:
            chr(code).encode(encoding)
        except UnicodeEncodeError:
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "[^" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges) + "]"


@functools.cache
def _spaces() -> str:
    """The characters str.strip() removes (str.isspace()): a name of only these is blank (the writer's
    check)."""
    return "".join(chr(code) for code in range(1, 0x110000) if chr(code).isspace())


_DIGITS = "[0-9]+[Xx]?"
LINE_COLUMNS = (
    "reference",
    "name",
    "id_number",
    "account_number",
    "amount",
    "township",
    "certificate_number",
)


# For the statement only (SET LOCAL, then back to the defaults): the lines are read in file order off an
# index, never sorted (a sort of a million formatted lines spills to disk); JIT compiling the statement's
# expressions took longer (up to 1.5 s) than it saved. `string_agg` joins the lines in the order its input
# arrives, so no parallel plan may feed it: workers would interleave the lines. With the default
# random_page_cost (4, for spinning disks) the planner walked the whole primary key in id order, filtering out
# every other plan's lines, rather than the bank's lines off payoutline_export_order: 0.67–0.77 s against
# 0.19–0.33 s per bank with two plans of 965,000 lines, worse with every month's plan (docs/bank-files.md).
PLANNER_SETTINGS = (
    ("enable_sort", "off"),
    ("jit", "off"),
    ("max_parallel_workers_per_gather", "0"),
    ("random_page_cost", "1.1"),
)


@dataclass(frozen=True)
class LineSource:
    """A SELECT of one file's lines: columns `ord` (the file's order) and LINE_COLUMNS. `params` are its
    pyformat parameters, named with a `src_` prefix."""

    sql: str
    params: dict[str, Any]


@dataclass(frozen=True)
class StoredFile:
    """The pensions_bankfile row's values other than the rendered content."""

    plan_id: int | None
    one_off_batch_id: int | None
    bank_id: int
    name: str
    profile_code: str
    profile_json: str
    created_by_id: int
    created_at: Any
    expected_total: Decimal


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any, cast: str = "text") -> str:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return f"%({key})s::{cast}"


def is_text_layout(profile: BankFileProfile) -> bool:
    return profile.layout in ("fixed", "delimited")


class _Builder:
    """The SQL expressions of one profile's records."""

    def __init__(self, profile: BankFileProfile, params: _Params) -> None:
        self.profile = profile
        self.p = params
        self.enc = params(PG_ENCODINGS[profile.encoding])
        self.delimiter = params(profile.delimiter) if profile.layout == "delimited" else ""
        self.fixed = profile.layout == "fixed"

    # ---- values as text

    def _amount(self, column: str) -> str:
        if self.profile.unit == "fen":
            return f"(({column}) * 100)::bigint::text"
        return f"round({column}, 2)::text"

    def detail_value(self, spec: FieldSpec) -> tuple[str, bool]:
        """(text expression, ASCII only) of a detail field on the lines' row `l`. A digits value that is
        not digits makes the line doubtful, and a doubtful line is never converted: ASCII holds."""
        if spec.name == LITERAL:
            return self.p(spec.value), spec.value.isascii()
        if spec.name == "seq":
            return "l.seq::text", True
        column = f"l.{spec.name}"
        if spec.kind == "amount":
            return self._amount(column), True
        return column, spec.kind == "digits"

    def doubts(self) -> str:
        """Whether a line (row `s`) may be refused by the writer: a few expressions per line, one regular
        expression over all its text fields at once and one over all its digits fields."""
        p = self.p
        doubts = ["s.amount IS NULL", "s.amount <= 0", "s.amount <> round(s.amount, 2)", "s.reference = ''"]
        columns = [spec for spec in self.profile.fields if spec.name not in (LITERAL, "seq", "amount")]
        texts = list(dict.fromkeys(f"s.{spec.name}" for spec in columns if spec.kind == "text"))
        digits = list(dict.fromkeys(f"s.{spec.name}" for spec in columns if spec.kind == "digits"))
        if texts or digits:
            doubts.append(f"({' || '.join(texts + digits)}) IS NULL")
        if texts:
            doubts.append(f"({' || '.join(texts)}) ~ {p(_unwritable(self.profile.encoding))}")
        if digits:
            # "|" separates the values: no digits value holds one, so each part matches on its own.
            pattern = "^" + "\\|".join([_DIGITS] * len(digits)) + "$"
            joined = " || '|' || ".join(digits)
            doubts.append(f"({joined}) !~ {p(pattern)}")
        if "s.name" in texts:
            doubts.append(f"btrim(s.name, {p(_spaces())}) = ''")
        if self.profile.layout == "delimited" and not self.profile.quoting:
            doubts.extend(f"strpos({column}, {self.delimiter}) > 0" for column in texts + digits)
        return _any(doubts)

    def summary_value(self, spec: FieldSpec, summary: dict[str, object]) -> tuple[str, bool]:
        """(text expression, ASCII only) of a header/trailer field on the aggregate row `b`."""
        if spec.name == LITERAL:
            return self.p(spec.value), spec.value.isascii()
        if spec.name == "count":
            return "b.line_count::text", True
        if spec.name == "total":
            return self._amount("b.total"), True
        value = str(summary[spec.name])
        return self.p(value), value.isascii()

    # ---- fields and records

    def byte_length(self, text: str, ascii_only: bool) -> str:
        """Bytes of the value in the encoding. Converting is what costs: an ASCII value (its UTF-8 bytes as
        many as its characters, e.g. a reference) is as long in every encoding."""
        if ascii_only:
            return f"length({text})"
        return (
            f"(CASE WHEN octet_length({text}) = length({text}) THEN octet_length({text}) "
            f"ELSE octet_length(convert_to({text}, {self.enc})) END)"
        )

    def too_wide(self, text: str, ascii_only: bool, width: str) -> str:
        """Whether the value's bytes exceed the width; a value of few enough characters cannot (at most 2
        bytes a character in GBK, 4 in GB18030 and UTF-8), and is not converted for this."""
        if ascii_only:
            return f"length({text}) > {width}"
        most = 2 if self.profile.encoding == "gbk" else 4
        return (
            f"(CASE WHEN length({text}) * {most} <= {width} THEN false "
            f"ELSE {self.byte_length(text, ascii_only)} > {width} END)"
        )

    def fixed_field(self, spec: FieldSpec, text: str, ascii_only: bool) -> tuple[str, str | None]:
        """(padded text, overflow condition or None). Padding is ASCII, one byte in every encoding, so the
        record is padded as text and converted once."""
        width = self.p(spec.width, "int")
        pad = self.p(spec.pad)

        def padded(value: str, length: str) -> str:
            fill = f"repeat({pad}, {width} - {length})"
            return f"{value} || {fill}" if spec.align == "left" else f"{fill} || {value}"

        length = self.byte_length(text, ascii_only)
        if not spec.truncate:
            return padded(text, length), self.too_wide(text, ascii_only, width)
        # The longest prefix of whole characters whose bytes fit (writer._cut), only for a value too wide.
        cut = (
            f"(SELECT {padded('c.v', f'octet_length(convert_to(c.v, {self.enc}))')} FROM ("  # noqa: S608
            f"SELECT left({text}, k) AS v FROM generate_series(length({text}), 0, -1) AS k "
            f"WHERE octet_length(convert_to(left({text}, k), {self.enc})) <= {width} LIMIT 1) AS c)"
        )
        return f"(CASE WHEN {length} <= {width} THEN {padded(text, length)} ELSE {cut} END)", None

    def delimited_field(self, text: str) -> str:
        if not self.profile.quoting:
            return text
        return (
            f"(CASE WHEN strpos({text}, {self.delimiter}) > 0 OR strpos({text}, '\"') > 0 "
            f"THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END)"
        )

    def record(self, values: Sequence[tuple[FieldSpec, str, bool]]) -> tuple[str, list[str]]:
        """(text expression of the record, overflow conditions)."""
        if self.fixed:
            parts, overflows = [], []
            for spec, text, ascii_only in values:
                part, overflow = self.fixed_field(spec, text, ascii_only)
                parts.append(part)
                if overflow is not None:
                    overflows.append(overflow)
            return "(" + " || ".join(parts) + ")", overflows
        joined = f" || {self.delimiter} || ".join(self.delimited_field(text) for _spec, text, _a in values)
        return f"({joined})", []


def _any(conditions: Sequence[str]) -> str:
    return "(" + " OR ".join(conditions) + ")" if conditions else "false"


def _lines_sql(source: LineSource, doubts: str) -> str:
    """The lines in file order, numbered from 1 (the `seq` field, and the number a message gives a line),
    each with whether it is doubtful (`doubts`, on row `s`)."""
    # OFFSET 0 keeps the source a subquery of its own: each of its columns (a township looked up by a scalar
    # subquery) is computed once per line, not once for every mention below. Its ORDER BY is what makes the
    # planner read the lines in file order off the index; the levels above keep that order without a sort.
    return (
        f"SELECT s.*, row_number() OVER (ORDER BY s.ord) AS seq, {doubts} AS doubtful "  # noqa: S608
        f"FROM ({source.sql} ORDER BY ord OFFSET 0) AS s ORDER BY s.ord"
    )


def _detail(builder: _Builder) -> tuple[str, str, str]:
    """(record text and overflow on row `l`, doubts on row `s`) of a detail line."""
    values = []
    for spec in builder.profile.fields:
        text, ascii_only = builder.detail_value(spec)
        values.append((spec, text, ascii_only))
    record, overflows = builder.record(values)
    doubts = "true" if _literal_problem(builder.profile) else builder.doubts()
    return record, doubts, _any(overflows)


def render_statement(
    profile: BankFileProfile,
    *,
    source: LineSource,
    context: RenderContext,
    stored: StoredFile,
    force: bool = False,
) -> tuple[str, dict[str, Any]]:
    """INSERT … SELECT of the file: RETURNING (id, line_count, total) when stored; no row when a line is
    doubtful (unless `force`: every doubtful line has been checked by check_lines), the header or trailer
    does not fit, or the total is not `stored.expected_total`."""
    if not is_text_layout(profile):
        raise BankFileError(_("Excel 格式的银行文件不由数据库生成。"))
    p = _Params()
    builder = _Builder(profile, p)
    newline = p(profile.newline.encode("ascii"), "bytea")
    record, doubts, overflow = _detail(builder)
    summary = _summary(context, 0, Decimal("0.00"), context.bank_code or profile.code.upper())

    pieces = [p(UTF8_BOM if profile.bom else b"", "bytea")]
    summary_overflows: list[str] = []
    for specs, slot in ((profile.header, "header"), (None, "labels"), (profile.trailer, "trailer")):
        if slot == "labels":
            if profile.column_labels:
                pieces.append(p(_labels(profile) + profile.newline.encode("ascii"), "bytea"))
            pieces.append("coalesce(b.body, ''::bytea)")
            continue
        if not specs:
            continue
        values = [(spec, *builder.summary_value(spec, summary)) for spec in specs]
        text, overflows = builder.record(values)
        summary_overflows.extend(overflows)
        pieces.append(f"convert_to({text}, {builder.enc}) || {newline}")
    content = " || ".join(pieces)
    force_param = p(force, "boolean")
    expected = p(stored.expected_total, "numeric")

    sql = f"""
INSERT INTO pensions_bankfile (plan_id, one_off_batch_id, bank_id, name, content_type, content, sha256,
                               line_count, total, profile_code, profile, created_by_id, created_at)
SELECT {p(stored.plan_id, "bigint")}, {p(stored.one_off_batch_id, "bigint")}, {p(stored.bank_id, "bigint")},
       {p(stored.name)}, 'text/plain', f.content, encode(sha256(f.content), 'hex'), f.line_count, f.total,
       {p(stored.profile_code)}, {p(stored.profile_json, "jsonb")}, {p(stored.created_by_id, "bigint")},
       {p(stored.created_at, "timestamptz")}
  FROM (
    SELECT b.line_count, b.total, b.doubtful, {_any(summary_overflows)} AS summary_overflow,
           {content} AS content
      FROM (
        SELECT count(*) AS line_count, coalesce(sum(r.amount), 0) AS total,
               count(*) FILTER (WHERE r.doubtful) AS doubtful,
               string_agg(r.record, ''::bytea) AS body
          FROM (
            SELECT l.seq, l.amount,
                   l.doubtful OR CASE WHEN l.doubtful THEN false ELSE {overflow} END AS doubtful,
                   CASE WHEN l.doubtful AND NOT {force_param} THEN NULL
                        ELSE convert_to({record}, {builder.enc}) || {newline} END AS record
              FROM ({_lines_sql(source, doubts)}) AS l
             ORDER BY l.ord
          ) AS r
      ) AS b
    OFFSET 0
  ) AS f
 WHERE (f.doubtful = 0 OR {force_param}) AND NOT f.summary_overflow AND f.total = {expected}
RETURNING id, line_count, total
"""  # noqa: S608
    return sql, {**source.params, **p.values}


def doubtful_lines_statement(profile: BankFileProfile, *, source: LineSource) -> tuple[str, dict[str, Any]]:
    """The file's count and total, and its doubtful lines (seq, LINE_COLUMNS) in file order: what
    check_lines needs to name the lines that cannot be written. The count and total ride on every row; with
    no doubtful line, one row of NULLs carries them."""
    p = _Params()
    builder = _Builder(profile, p)
    _record, doubts, overflow = _detail(builder)
    columns = ", ".join(f"l.{column}" for column in LINE_COLUMNS)
    sql = f"""
SELECT t.line_count, t.total, d.*
  FROM (SELECT count(*) AS line_count, coalesce(sum(s.amount), 0) AS total FROM ({source.sql}) AS s) AS t
  LEFT JOIN (
    SELECT l.seq, {columns}
      FROM ({_lines_sql(source, doubts)}) AS l
     WHERE l.doubtful OR CASE WHEN l.doubtful THEN false ELSE {overflow} END
  ) AS d ON true
 ORDER BY d.seq
"""  # noqa: S608
    return sql, {**source.params, **p.values}


def _labels(profile: BankFileProfile) -> bytes:
    """The column-label record: profile data, the same for every file of the profile."""
    encoder = _Encoder(profile)
    labels = [encoder.delimited_field(spec, spec.label or spec.name) for spec in profile.fields]
    return profile.delimiter.join(labels).encode(profile.encoding)


def _literal_problem(profile: BankFileProfile) -> bool:
    """A detail literal that cannot be written makes every line refused (a profile stored as JSON)."""
    encoder = _Encoder(profile)
    for spec in profile.fields:
        if spec.name != LITERAL:
            continue
        try:
            text = _text(spec, spec.value, profile.unit)
            if profile.layout == "fixed":
                encoder.fixed_field(spec, text)
            else:
                encoder.delimited_field(spec, text).encode(profile.encoding)
        except (_FieldError, UnicodeEncodeError):
            return True
    return False


def summary_problem(profile: BankFileProfile, *, context: RenderContext) -> bool:
    """Whether the header or trailer's own texts (batch, county code, literals) cannot be written; the count
    and total are checked by the statement."""
    encoder = _Encoder(profile)
    summary = _summary(context, 0, Decimal("0.00"), context.bank_code or profile.code.upper())
    for specs in (profile.header, profile.trailer):
        data, _problems, _bad = encoder.record(specs, summary, 0, [_getter(spec) for spec in specs])
        if data is None:
            return True
    return _literal_problem(profile)


def check_lines(
    profile: BankFileProfile,
    lines: Sequence[tuple[int, PaymentLine]],
    *,
    count: int,
    total: Decimal,
    context: RenderContext,
) -> None:
    """Check the doubtful lines (numbered in the file) and the header/trailer as the Python writer does, and
    raise its UnencodableLines or InvalidLinesError naming them; return when all can be written."""
    encoder = _Encoder(profile)
    encoder.flag(check_amounts(lines))
    summary = _summary(context, count, total, context.bank_code or profile.code.upper())

    def summary_record(specs: Sequence[FieldSpec], where: str) -> None:
        data, problems, bad = encoder.record(specs, summary, 0, [_getter(spec) for spec in specs])
        encoder.add(0, context.batch, where, problems, bad)

    if profile.header:
        summary_record(profile.header, _("首行"))
    getters = [_getter(spec) for spec in profile.fields]
    for number, line in lines:
        data, problems, bad = encoder.record(profile.fields, line, number, getters)
        if data is None:
            encoder.add(number, line.reference, line.name, problems, bad)
    if profile.trailer:
        summary_record(profile.trailer, _("尾行"))
    _raise_if_any(profile, encoder)


__all__ = [
    "LINE_COLUMNS",
    "PLANNER_SETTINGS",
    "LineSource",
    "StoredFile",
    "check_lines",
    "doubtful_lines_statement",
    "is_text_layout",
    "render_statement",
    "summary_problem",
]
