"""Render a bank payout file from payment lines, exactly as a profile says.

Pure Python: plain dataclasses in, bytes out. What is rendered here: xlsx bank files, and return files (the
bank's answer, for the demo county and tests). Text bank files are rendered by PostgreSQL straight into the
stored file (sql_render.py); the records below are its rule book: sql_render's check of the doubtful lines
uses them, and a test renders every text profile both ways and compares the bytes.

The rules that protect the money and the names:
- fixed-width fields are counted in bytes of the target encoding; a multi-byte character is never split;
- a value too long for its field stops the file and names the line (never a silent cut of digits); only a
  field the profile marks `truncate` (a name) is cut, and only at a character boundary;
- a character the encoding cannot hold (䶮 in GBK) stops the file with UnencodableLines, never a "?";
- amounts are Decimal: yuan with exactly two decimals or whole fen; the header/trailer total is the sum of
  the lines' amounts, and the file refuses a zero or negative line, or one with a fraction of a fen.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .errors import InvalidLinesError, LineProblem, UnencodableLine, UnencodableLines
from .profiles import LITERAL, NUMBER_SOURCES, BankFileProfile, FieldSpec

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UTF8_BOM = b"\xef\xbb\xbf"
_DIGITS = re.compile(r"[0-9]+[Xx]?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CENT = Decimal("0.01")
_LISTED = 20  # lines named in a message; the exception carries all of them


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One payment as it is sent: a snapshot, so later edits of the retiree never change a file."""

    reference: str  # deterministic, from payment_reference(): goes into the remark field
    name: str
    id_number: str
    account_number: str
    amount: Decimal
    township: str = ""
    certificate_number: str = ""


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What the file name and the header/trailer need beyond the lines."""

    county_code: str
    month: str  # yyyymm
    date: datetime.date  # the file's date (yyyymmdd in the records)
    batch: str  # the batch reference, e.g. "P12" for plan 12
    bank_code: str = ""
    seq: int = 1  # several files for one bank and month


@dataclass(frozen=True, slots=True)
class RenderedFile:
    name: str
    content: bytes
    count: int
    total: Decimal
    sha256: str
    content_type: str


def payment_reference(*, plan_id: int, line_id: int) -> str:
    """The remark a line carries to the bank and back: the same plan line always gives the same text.
    Letters and digits only, since some banks allow nothing else in the remark."""
    return f"P{plan_id}L{line_id}"


def one_off_reference(*, batch_id: int, payment_id: int) -> str:
    """The remark of a one-off payment (a family's claim): `B{batch}P{payment}`, letters and digits only, and
    never equal to a plan line's `P{plan}L{line}`."""
    return f"B{batch_id}P{payment_id}"


class _FieldError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def amount_text(amount: object, unit: str) -> str:
    """Yuan as "1234.50" or fen as "123450"; refuses a value that is not an exact amount of fen."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise _FieldError(_("金额必须是十进制数(Decimal),不能是 %(value)r。") % {"value": amount})
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise _FieldError(_("金额 %(amount)s 不是整分数。") % {"amount": amount})
    if unit == "fen":
        return str(int(cents))
    return f"{amount.quantize(_CENT):f}"


def file_name(profile: BankFileProfile, context: RenderContext) -> str:
    return profile.file_name.format(
        county_code=context.county_code,
        month=context.month,
        seq=context.seq,
        date=context.date.strftime("%Y%m%d"),
        batch=context.batch,
        bank_code=context.bank_code or profile.code.upper(),
    )


def _summary(context: RenderContext, count: int, total: Decimal, bank_code: str) -> dict[str, object]:
    return {
        "count": count,
        "total": total,
        "date": context.date.strftime("%Y%m%d"),
        "batch": context.batch,
        "month": context.month,
        "county_code": context.county_code,
        "bank_code": bank_code,
    }


Getter = Callable[[Any, int], object]


def _getter(spec: FieldSpec) -> Getter:
    if spec.name == LITERAL:
        value = spec.value
        return lambda _source, _seq: value
    if spec.name == "seq":
        return lambda _source, seq: seq
    name = spec.name
    if name in ("count", "total", "date", "batch", "month", "county_code", "bank_code"):
        return lambda source, _seq: source[name]
    return lambda source, _seq: getattr(source, name)


def _text(spec: FieldSpec, raw: object, unit: str) -> str:
    """The field's value as text, checked for its kind (not yet encoded)."""
    if spec.kind == "amount":
        return amount_text(raw, unit)
    if isinstance(raw, int) and spec.name in NUMBER_SOURCES:
        return str(raw)
    if not isinstance(raw, str):
        raise _FieldError(_("%(field)s 必须是文字。") % {"field": spec.label or spec.name})
    if spec.kind == "digits" and not _DIGITS.fullmatch(raw):
        raise _FieldError(
            _("%(field)s“%(value)s”只能由数字组成(身份证号末位可为 X)。")
            % {"field": spec.label or spec.name, "value": raw}
        )
    if _CONTROL.search(raw):
        raise _FieldError(_("%(field)s含有换行或控制字符。") % {"field": spec.label or spec.name})
    if spec.name == "name" and not raw.strip():
        raise _FieldError(_("户名不能为空。"))
    return raw


FastField = Callable[[Any, int], bytes | None]


def _fast_fixed(spec: FieldSpec, profile: BankFileProfile) -> FastField:
    """A fixed-width field of a detail line on the fast path: its bytes, or None when anything is unusual
    (then the line goes through the checked path, which says what is wrong). Same rules, fewer calls: a
    million-line file is rendered within the time the export may take."""
    width = spec.width or 0
    pad = spec.pad.encode("ascii")
    left = spec.align == "left"
    encoding = profile.encoding
    name = spec.name

    def fit(data: bytes) -> bytes | None:
        room = width - len(data)
        if room < 0:
            return None
        return data + pad * room if left else pad * room + data

    if name == LITERAL:
        fixed = fit(spec.value.encode(encoding))
        return lambda _source, _seq: fixed
    if name == "seq":
        return lambda _source, seq: fit(str(seq).encode("ascii"))
    if spec.kind == "amount":
        fen = profile.unit == "fen"

        def amount(source: Any, _seq: int) -> bytes | None:
            value = getattr(source, name)
            if value.__class__ is not Decimal:
                return None
            cents = value * 100
            if cents != cents.to_integral_value() or value <= 0:
                return None
            text = str(int(cents)) if fen else f"{value.quantize(_CENT):f}"
            return fit(text.encode("ascii"))

        return amount
    if spec.kind == "digits":
        digits = _DIGITS.fullmatch

        def number(source: Any, _seq: int) -> bytes | None:
            value = getattr(source, name)
            if value.__class__ is not str or not digits(value):
                return None
            return fit(value.encode("ascii"))

        return number
    control = _CONTROL.search
    required = name == "name"

    def text(source: Any, _seq: int) -> bytes | None:
        value = getattr(source, name)
        if value.__class__ is not str or control(value) or (required and not value.strip()):
            return None
        try:
            return fit(value.encode(encoding))
        except UnicodeEncodeError:
            return None

    return text


FastText = Callable[[Any, int], str | None]


def _fast_delimited(spec: FieldSpec, profile: BankFileProfile) -> FastText:
    """A field of a delimited detail line on the fast path: its text, or None when anything is unusual (a
    delimiter or quote to escape, a value of the wrong kind): then the line goes through the checked path.
    The line is encoded as a whole afterwards; a character the encoding cannot hold sends it there too."""
    name = spec.name
    special = (profile.delimiter, '"')

    def plain(text: str) -> str | None:
        return None if special[0] in text or special[1] in text else text

    if name == LITERAL:
        fixed = plain(spec.value)
        return lambda _source, _seq: fixed
    if name == "seq":
        return lambda _source, seq: str(seq)
    if spec.kind == "amount":
        fen = profile.unit == "fen"

        def amount(source: Any, _seq: int) -> str | None:
            value = getattr(source, name)
            if value.__class__ is not Decimal:
                return None
            cents = value * 100
            if cents != cents.to_integral_value() or value <= 0:
                return None
            return str(int(cents)) if fen else f"{value.quantize(_CENT):f}"

        return amount
    if spec.kind == "digits":
        digits = _DIGITS.fullmatch

        def number(source: Any, _seq: int) -> str | None:
            value = getattr(source, name)
            if value.__class__ is not str or not digits(value):
                return None
            return value

        return number
    control = _CONTROL.search
    required = name == "name"

    def text(source: Any, _seq: int) -> str | None:
        value = getattr(source, name)
        if value.__class__ is not str or control(value) or (required and not value.strip()):
            return None
        return plain(value)

    return text


class _Encoder:
    """Turns records (sequences of field specs) into bytes for one profile, collecting every problem."""

    def __init__(self, profile: BankFileProfile) -> None:
        self.profile = profile
        self.encoding = profile.encoding
        self.problems: list[LineProblem] = []
        self.unencodable: list[UnencodableLine] = []
        self.flagged: set[int] = set()

    def flag(self, problems: list[LineProblem]) -> None:
        self.problems.extend(problems)
        self.flagged.update(problem.number for problem in problems)

    def add(self, number: int, reference: str, name: str, problems: list[str], bad: list[str]) -> None:
        """Record a line's problems once: a line already refused for its amount is not listed again, and a
        header/trailer (number 0) total is not blamed when the lines themselves are wrong."""
        if problems and number not in self.flagged and not (number == 0 and self.flagged):
            self.flag([LineProblem(number, reference, name, message) for message in problems])
        if bad:
            self.unencodable.append(UnencodableLine(number, reference, name, "".join(bad)))

    def fixed_field(self, spec: FieldSpec, text: str) -> bytes:
        data = text.encode(self.encoding)
        width = spec.width or 0
        room = width - len(data)
        if room < 0:
            if not spec.truncate:
                raise _FieldError(
                    _("%(field)s“%(value)s”占 %(size)d 字节,超过字段宽度 %(width)d 字节。")
                    % {"field": spec.label or spec.name, "value": text, "size": len(data), "width": width}
                )
            data = _cut(text, self.encoding, width)
            room = width - len(data)
        padding = spec.pad.encode("ascii") * room
        return data + padding if spec.align == "left" else padding + data

    def delimited_field(self, spec: FieldSpec, text: str) -> str:
        delimiter = self.profile.delimiter
        if self.profile.quoting and (delimiter in text or '"' in text):
            return '"' + text.replace('"', '""') + '"'
        if delimiter in text:
            raise _FieldError(
                _("%(field)s“%(value)s”含有分隔符 %(delimiter)s。")
                % {"field": spec.label or spec.name, "value": text, "delimiter": delimiter}
            )
        return text

    def record(
        self, specs: Sequence[FieldSpec], source: object, seq: int, getters: Sequence[Getter]
    ) -> tuple[bytes | None, list[str], list[str]]:
        """(bytes or None, problems, offending characters) of one record."""
        problems: list[str] = []
        bad: list[str] = []
        if self.profile.layout == "fixed":
            parts: list[bytes] = []
            for spec, get in zip(specs, getters, strict=True):
                try:
                    parts.append(self.fixed_field(spec, _text(spec, get(source, seq), self.profile.unit)))
                except UnicodeEncodeError as error:
                    bad.extend(_unencodable(str(error.object), self.encoding))
                except _FieldError as error:
                    problems.append(error.message)
            if problems or bad:
                return None, problems, bad
            return b"".join(parts), problems, bad
        texts: list[str] = []
        for spec, get in zip(specs, getters, strict=True):
            try:
                texts.append(self.delimited_field(spec, _text(spec, get(source, seq), self.profile.unit)))
            except _FieldError as error:
                problems.append(error.message)
        if problems:
            return None, problems, bad
        line = self.profile.delimiter.join(texts)
        try:
            return line.encode(self.encoding), problems, bad
        except UnicodeEncodeError:
            return None, problems, _unencodable(line, self.encoding)


def _cut(text: str, encoding: str, width: int) -> bytes:
    """The longest prefix of `text` whose encoding fits `width` bytes: whole characters only."""
    out = b""
    for character in text:
        data = character.encode(encoding)
        if len(out) + len(data) > width:
            break
        out += data
    return out


def _unencodable(text: str, encoding: str) -> list[str]:
    found: list[str] = []
    for character in text:
        if character in found:
            continue
        try:
            character.encode(encoding)
        except UnicodeEncodeError:
            found.append(character)
    return found


def _total(lines: Sequence[PaymentLine]) -> Decimal:
    total = Decimal("0.00")
    for line in lines:
        if isinstance(line.amount, Decimal) and line.amount.is_finite():
            total += line.amount
    return total


def check_amounts(lines: Iterable[tuple[int, PaymentLine]]) -> list[LineProblem]:
    """Amounts a bank can pay: a positive Decimal of whole fen. References unique and non-empty. `lines` are
    (number in the file, line)."""
    problems: list[LineProblem] = []
    seen: set[str] = set()
    for number, line in lines:
        amount = line.amount
        if not isinstance(amount, Decimal) or not amount.is_finite():
            message = _("金额必须是十进制数(Decimal)。")
        elif amount <= 0:
            message = _("金额 %(amount)s 不大于零:净额为零的暂停发放行不进银行文件。") % {"amount": amount}
        elif amount * 100 != (amount * 100).to_integral_value():
            message = _("金额 %(amount)s 不是整分数。") % {"amount": amount}
        elif not line.reference:
            message = _("缺少流水号(备注)。")
        elif line.reference in seen:
            message = _("流水号 %(reference)s 重复。") % {"reference": line.reference}
        else:
            seen.add(line.reference)
            continue
        problems.append(LineProblem(number, line.reference, line.name, message))
    return problems


def _raise_if_any(profile: BankFileProfile, encoder: _Encoder) -> None:
    if encoder.unencodable:
        listed = ";".join(
            _("第 %(number)d 条 %(reference)s %(name)s:%(characters)s(%(codes)s)")
            % {
                "number": item.number,
                "reference": item.reference,
                "name": item.name,
                "characters": item.characters,
                "codes": item.code_points,
            }
            for item in encoder.unencodable[:_LISTED]
        )
        raise UnencodableLines(
            _(
                "有 %(count)d 条记录含有 %(encoding)s 编码无法表示的字符,银行文件没有生成。"
                "请人工处理这些人员(如改用银行认可的写法或单独发放):%(lines)s"
            )
            % {"count": len(encoder.unencodable), "encoding": profile.encoding.upper(), "lines": listed},
            lines=encoder.unencodable,
            problems=encoder.problems,
        )
    if encoder.problems:
        listed = ";".join(
            _("第 %(number)d 条 %(reference)s %(name)s:%(message)s")
            % {"number": item.number, "reference": item.reference, "name": item.name, "message": item.message}
            for item in encoder.problems[:_LISTED]
        )
        raise InvalidLinesError(
            _("有 %(count)d 条记录无法按银行文件格式写出,银行文件没有生成:%(lines)s")
            % {"count": len(encoder.problems), "lines": listed},
            problems=encoder.problems,
        )


# What writes one layout's bytes: render_records (text layouts) or pensions.bankfiles.xlsx.render_xlsx.
LayoutWriter = Callable[..., bytes]


def rendered_file(
    profile: BankFileProfile,
    lines: Sequence[PaymentLine],
    *,
    context: RenderContext,
    write: LayoutWriter,
    content_type: str,
) -> RenderedFile:
    """The bank file of these lines, written by `write` after the amounts are checked, with its count, total
    and SHA-256. Raises InvalidLinesError (Chinese, naming lines) instead of writing anything doubtful."""
    encoder = _Encoder(profile)
    encoder.flag(check_amounts(enumerate(lines, 1)))
    total = _total(lines)
    content = write(profile, lines, context=context, fields=profile.fields, total=total, encoder=encoder)
    return RenderedFile(
        name=file_name(profile, context),
        content=content,
        count=len(lines),
        total=total,
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=content_type,
    )


def render_records(
    profile: BankFileProfile,
    lines: Sequence[Any],
    *,
    context: RenderContext,
    fields: Sequence[FieldSpec],
    total: Decimal,
    encoder: _Encoder,
) -> bytes:
    """Header, column labels, lines and trailer of a text layout, as bytes (shared with the return writer)."""
    newline = profile.newline.encode("ascii")
    summary = _summary(context, len(lines), total, context.bank_code or profile.code.upper())
    out: list[bytes] = []

    def summary_record(specs: Sequence[FieldSpec], where: str) -> None:
        data, problems, bad = encoder.record(specs, summary, 0, [_getter(spec) for spec in specs])
        encoder.add(0, context.batch, where, problems, bad)
        if data is not None:
            out.append(data)

    if profile.header:
        summary_record(profile.header, _("首行"))
    if profile.column_labels:
        labels = [encoder.delimited_field(spec, spec.label or spec.name) for spec in fields]
        out.append(profile.delimiter.join(labels).encode(profile.encoding))
    getters = [_getter(spec) for spec in fields]
    fixed = profile.layout == "fixed"
    fast = [_fast_fixed(spec, profile) for spec in fields] if fixed else []
    fast_text = [] if fixed else [_fast_delimited(spec, profile) for spec in fields]
    delimiter, encoding = profile.delimiter, profile.encoding
    for seq, line in enumerate(lines, 1):
        if fast:
            parts = [field(line, seq) for field in fast]
            if None not in parts:
                out.append(b"".join(parts))  # type: ignore[arg-type]  # no None left
                continue
        elif fast_text:
            texts = [field(line, seq) for field in fast_text]
            if None not in texts:
                try:
                    out.append(delimiter.join(texts).encode(encoding))  # type: ignore[arg-type]  # no None
                    continue
                except UnicodeEncodeError:
                    pass  # the checked path names the characters
        data, problems, bad = encoder.record(fields, line, seq, getters)
        if data is not None:
            out.append(data)
            continue
        encoder.add(seq, line.reference, line.name, problems, bad)
    if profile.trailer:
        summary_record(profile.trailer, _("尾行"))
    _raise_if_any(profile, encoder)
    prefix = UTF8_BOM if profile.bom else b""
    return prefix + newline.join(out) + newline


def csv_split(line: str, delimiter: str) -> list[str]:
    """One delimited record with CSV quoting."""
    return next(csv.reader([line], delimiter=delimiter, quotechar='"', strict=True))


__all__ = [
    "PaymentLine",
    "RenderContext",
    "RenderedFile",
    "amount_text",
    "file_name",
    "payment_reference",
]
