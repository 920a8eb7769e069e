"""Return files (回盘): the bank's answer to a payout file, line by line.

The layout of a return file, for every profile: the file that was sent, each detail line followed by two more
fields, the bank's status code (`returns.status`) and its reason text (`returns.reason`); the same header or
trailer (count and total of all lines, paid or not). A line is paid when its status is one of
`returns.success_codes`. docs/bank-files.md shows each shipped profile's return layout.

`parse_return_file` reads and checks the file itself (shape, encoding, its own totals); `match_return`
compares it with what was sent and refuses anything that does not answer exactly those lines with exactly
those amounts. Both are pure: reading the same file twice gives the same answer, so importing twice can
change nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from registry.formats import yuan

from .errors import LineProblem, ReturnFileError, ReturnMismatchError
from .profiles import LITERAL, BankFileProfile, FieldSpec
from .writer import (
    UTF8_BOM,
    XLSX_CONTENT_TYPE,
    PaymentLine,
    RenderContext,
    RenderedFile,
    _Encoder,
    _total,
    csv_split,
    file_name,
    render_records,
)
from .xlsx import render_xlsx

_FEN = re.compile(r"[0-9]+")
_YUAN = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
_CENT = Decimal("0.01")
_LISTED = 20


@dataclass(frozen=True, slots=True)
class ReturnLine:
    line_number: int  # in the return file (a spreadsheet row for xlsx)
    reference: str
    account_number: str
    amount: Decimal
    status: str
    reason: str
    paid: bool
    name: str = ""


@dataclass(frozen=True, slots=True)
class ParsedReturn:
    profile_code: str
    lines: tuple[ReturnLine, ...]
    declared_count: int
    declared_total: Decimal


@dataclass(frozen=True, slots=True)
class ReturnMatch:
    """What a checked return file says: per reference, paid or failed with the bank's code and reason."""

    results: Mapping[str, ReturnLine]
    paid: tuple[ReturnLine, ...]
    failed: tuple[ReturnLine, ...]
    paid_total: Decimal
    failed_total: Decimal


@dataclass(frozen=True, slots=True)
class _ReturnRow:
    reference: str
    name: str
    id_number: str
    account_number: str
    amount: Decimal
    township: str
    certificate_number: str
    status: str
    reason: str


def render_return_file(
    profile: BankFileProfile,
    lines: Sequence[PaymentLine],
    *,
    context: RenderContext,
    failures: Mapping[str, tuple[str, str]] | None = None,
) -> RenderedFile:
    """A return file as a bank following this profile would answer: every line paid except those in
    `failures` (reference → (status code, reason)). For the demo county, tests and a branch's sample."""
    failures = failures or {}
    success = profile.returns.success_codes[0]
    rows = [
        _ReturnRow(
            reference=line.reference,
            name=line.name,
            id_number=line.id_number,
            account_number=line.account_number,
            amount=line.amount,
            township=line.township,
            certificate_number=line.certificate_number,
            status=failures[line.reference][0] if line.reference in failures else success,
            reason=failures[line.reference][1] if line.reference in failures else "",
        )
        for line in lines
    ]
    total = _total(lines)
    render = render_xlsx if profile.layout == "xlsx" else render_records
    encoder = _Encoder(profile)
    content = render(
        profile, rows, context=context, fields=profile.return_fields, total=total, encoder=encoder
    )
    sent_name = file_name(profile, context)
    stem, dot, suffix = sent_name.rpartition(".")
    return RenderedFile(
        name=f"{stem}_RET.{suffix}" if dot else f"{sent_name}_RET",
        content=content,
        count=len(lines),
        total=total,
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=XLSX_CONTENT_TYPE if profile.layout == "xlsx" else "text/plain",
    )


def _amount(text: str, unit: str) -> Decimal | None:
    text = text.strip()
    if unit == "fen":
        return (Decimal(int(text)) / 100).quantize(_CENT) if _FEN.fullmatch(text) else None
    return Decimal(text).quantize(_CENT) if _YUAN.fullmatch(text) else None


class _Reader:
    def __init__(self, profile: BankFileProfile) -> None:
        self.profile = profile
        self.problems: list[LineProblem] = []

    def problem(self, number: int, message: str, reference: str = "") -> None:
        self.problems.append(LineProblem(number, reference, "", message))

    def fixed(self, number: int, raw: bytes, specs: Sequence[FieldSpec]) -> dict[str, str] | None:
        expected = sum(spec.width or 0 for spec in specs)
        if len(raw) != expected:
            self.problem(
                number,
                _("长度为 %(size)d 字节,应为 %(width)d 字节。") % {"size": len(raw), "width": expected},
            )
            return None
        values: dict[str, str] = {}
        position = 0
        for spec in specs:
            piece = raw[position : position + (spec.width or 0)]
            position += spec.width or 0
            try:
                # The bank's reason may be cut inside a character: shown with a visible mark, never guessed.
                text = piece.decode(
                    self.profile.encoding, errors="replace" if spec.name == "reason" else "strict"
                )
            except UnicodeDecodeError:
                self.problem(
                    number,
                    _("字段 %(field)s 不是有效的 %(encoding)s 文字。")
                    % {"field": spec.label or spec.name, "encoding": self.profile.encoding.upper()},
                )
                return None
            if spec.kind == "text":
                text = text.rstrip(spec.pad) if spec.align == "left" else text.lstrip(spec.pad)
            values.setdefault(spec.name, text.strip(" "))
            if spec.name == LITERAL:
                values[f"literal:{spec.value}"] = text.strip(" ")
        return values

    def delimited(self, number: int, raw: bytes, specs: Sequence[FieldSpec]) -> dict[str, str] | None:
        try:
            line = raw.decode(self.profile.encoding)
        except UnicodeDecodeError:
            self.problem(
                number, _("不是有效的 %(encoding)s 文字。") % {"encoding": self.profile.encoding.upper()}
            )
            return None
        try:
            parts = (
                csv_split(line, self.profile.delimiter)
                if self.profile.quoting
                else line.split(self.profile.delimiter)
            )
        except Exception:  # noqa: BLE001 - csv.Error for a broken quote
            self.problem(number, _("引号不成对。"))
            return None
        return self.named(number, parts, specs)

    def named(self, number: int, parts: Sequence[str], specs: Sequence[FieldSpec]) -> dict[str, str] | None:
        if len(parts) != len(specs):
            self.problem(
                number,
                _("有 %(found)d 个字段,应为 %(expected)d 个。")
                % {"found": len(parts), "expected": len(specs)},
            )
            return None
        values: dict[str, str] = {}
        for spec, part in zip(specs, parts, strict=True):
            values.setdefault(spec.name, part.strip())
            if spec.name == LITERAL:
                values[f"literal:{spec.value}"] = part.strip()
        return values

    def literals_ok(self, number: int, values: Mapping[str, str], specs: Sequence[FieldSpec]) -> bool:
        for spec in specs:
            if spec.name == LITERAL and values.get(f"literal:{spec.value}") != spec.value:
                self.problem(number, _("应以“%(value)s”标记,实际不是。") % {"value": spec.value})
                return False
        return True

    def detail(self, number: int, values: Mapping[str, str]) -> ReturnLine | None:
        reference = values.get("reference", "")
        amount = _amount(values.get("amount", ""), self.profile.unit)
        if not reference:
            self.problem(number, _("缺少流水号(备注)。"))
            return None
        if amount is None:
            self.problem(
                number, _("金额“%(value)s”格式不对。") % {"value": values.get("amount", "")}, reference
            )
            return None
        status = values.get("status", "")
        if not status:
            self.problem(number, _("缺少处理结果代码。"), reference)
            return None
        return ReturnLine(
            line_number=number,
            reference=reference,
            account_number=values.get("account_number", ""),
            amount=amount,
            status=status,
            reason=values.get("reason", ""),
            paid=status in self.profile.returns.success_codes,
            name=values.get("name", ""),
        )

    def summary(self, number: int, values: Mapping[str, str] | None, found: dict[str, Any]) -> None:
        if values is None:
            return
        if "count" in values:
            if _FEN.fullmatch(values["count"]):
                found["count"] = int(values["count"])
            else:
                self.problem(number, _("总笔数“%(value)s”格式不对。") % {"value": values["count"]})
        if "total" in values:
            total = _amount(values["total"], self.profile.unit)
            if total is None:
                self.problem(number, _("总金额“%(value)s”格式不对。") % {"value": values["total"]})
            else:
                found["total"] = total


def _text_rows(profile: BankFileProfile, content: bytes) -> list[tuple[int, bytes]]:
    if content.startswith(UTF8_BOM) and profile.encoding == "utf-8":
        content = content[len(UTF8_BOM) :]
    rows = [(number, raw.removesuffix(b"\r")) for number, raw in enumerate(content.split(b"\n"), 1)]
    while rows and not rows[-1][1].strip():
        rows.pop()
    return rows


def _cell_text(value: object, spec: FieldSpec) -> str | None:
    """A spreadsheet cell as the text the text layouts would hold; None for a number that may have lost
    digits (an ID or account stored as a number)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if spec.kind == "amount":
        return repr(value) if isinstance(value, float) else str(value)
    if spec.name in ("count", "seq") and isinstance(value, int):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return None
    return str(value)


def _xlsx_rows(content: bytes) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        raise ReturnFileError(_("回盘文件不是可读的 Excel(xlsx)文件。")) from None
    sheet = workbook.worksheets[0]
    rows: list[tuple[int, list[object]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
        cells = list(values)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        rows.append((number, cells))
    workbook.close()
    while rows and not rows[-1][1]:
        rows.pop()
    return rows


def parse_return_file(profile: BankFileProfile, content: bytes) -> ParsedReturn:
    """Read a return file of this profile. ReturnFileError (Chinese) names every malformed line, and refuses a
    file whose own header/trailer does not add up to its lines."""
    reader = _Reader(profile)
    specs = profile.return_fields
    rows: Sequence[tuple[int, Any]]
    if profile.layout == "xlsx":
        rows = _xlsx_rows(content)

        def record(number: int, cells: Any, record_specs: Sequence[FieldSpec]) -> dict[str, str] | None:
            texts: list[str] = []
            padded = list(cells) + [None] * max(0, len(record_specs) - len(cells))
            if len(padded) > len(record_specs):
                reader.problem(number, _("列数多于 %(expected)d 列。") % {"expected": len(record_specs)})
                return None
            for spec, value in zip(record_specs, padded, strict=True):
                text = _cell_text(value, spec)
                if text is None:
                    reader.problem(
                        number,
                        _("%(field)s 是数字单元格,可能已丢失位数,请让银行以文本格式提供。")
                        % {"field": spec.label or spec.name},
                    )
                    return None
                texts.append(text)
            return reader.named(number, texts, record_specs)

    else:
        rows = _text_rows(profile, content)

        def record(number: int, cells: Any, record_specs: Sequence[FieldSpec]) -> dict[str, str] | None:
            if profile.layout == "fixed":
                return reader.fixed(number, cells, record_specs)
            return reader.delimited(number, cells, record_specs)

    first = 0
    last = len(rows)
    declared: dict[str, Any] = {}
    needed = bool(profile.header) + bool(profile.trailer) + int(profile.column_labels)
    if len(rows) < needed:
        raise ReturnFileError(_("回盘文件是空的或不完整:缺少首行、标题行或尾行。"))
    for specs_of, position in ((profile.header, "header"), (profile.trailer, "trailer")):
        if not specs_of:
            continue
        number, cells = rows[0] if position == "header" else rows[-1]
        values = record(number, cells, specs_of)
        if values is not None and reader.literals_ok(number, values, specs_of):
            reader.summary(number, values, declared)
        if position == "header":
            first += 1
        else:
            last -= 1
    if profile.column_labels:
        first += 1
    lines: list[ReturnLine] = []
    for number, cells in rows[first:last]:
        values = record(number, cells, specs)
        if values is None or not reader.literals_ok(number, values, specs):
            continue
        line = reader.detail(number, values)
        if line is not None:
            lines.append(line)
    if not reader.problems and {"count", "total"} - set(declared):
        reader.problem(0, _("首行或尾行缺少总笔数或总金额。"))
    if reader.problems:
        raise ReturnFileError(
            _("回盘文件有 %(count)d 处格式错误,没有导入:%(lines)s")
            % {
                "count": len(reader.problems),
                "lines": ";".join(
                    _("第 %(number)d 行:%(message)s") % {"number": item.number, "message": item.message}
                    for item in reader.problems[:_LISTED]
                ),
            },
            problems=reader.problems,
        )
    total = sum((line.amount for line in lines), Decimal("0.00"))
    if declared["count"] != len(lines) or declared["total"] != total:
        raise ReturnFileError(
            _(
                "回盘文件的汇总(%(declared_count)d 笔,%(declared_total)s)"
                "与其明细(%(count)d 笔,%(total)s)不符,没有导入。"
            )
            % {
                "declared_count": declared["count"],
                "declared_total": yuan(declared["total"]),
                "count": len(lines),
                "total": yuan(total),
            }
        )
    return ParsedReturn(
        profile_code=profile.code, lines=tuple(lines), declared_count=declared["count"], declared_total=total
    )


def match_return(sent: Sequence[PaymentLine], parsed: ParsedReturn) -> ReturnMatch:
    """Compare a parsed return file with the lines that were sent. Refuses (ReturnMismatchError, every problem
    listed) when the totals differ, a reference is unknown, repeated or missing, or an amount or account
    differs: a return file marks lines paid or failed and never changes what was paid."""
    by_reference = {line.reference: line for line in sent}
    sent_total = sum((line.amount for line in sent), Decimal("0.00"))
    problems: list[str] = []
    if parsed.declared_count != len(sent) or parsed.declared_total != sent_total:
        problems.append(
            _("回盘汇总 %(count)d 笔 %(total)s,与发出的 %(sent_count)d 笔 %(sent_total)s 不一致。")
            % {
                "count": parsed.declared_count,
                "total": yuan(parsed.declared_total),
                "sent_count": len(sent),
                "sent_total": yuan(sent_total),
            }
        )
    results: dict[str, ReturnLine] = {}
    for line in parsed.lines:
        where = {"number": line.line_number, "reference": line.reference}
        original = by_reference.get(line.reference)
        if original is None:
            problems.append(_("第 %(number)d 行:流水号 %(reference)s 不是这个文件发出的。") % where)
        elif line.reference in results:
            problems.append(_("第 %(number)d 行:流水号 %(reference)s 重复出现。") % where)
        elif line.amount != original.amount:
            problems.append(
                _("第 %(number)d 行:流水号 %(reference)s 的金额 %(amount)s 与发出的 %(sent)s 不同。")
                % {**where, "amount": line.amount, "sent": original.amount}
            )
        elif line.account_number != original.account_number:
            problems.append(_("第 %(number)d 行:流水号 %(reference)s 的账号与发出的不同。") % where)
        else:
            results[line.reference] = line
    answered = {line.reference for line in parsed.lines}
    missing = [reference for reference in by_reference if reference not in answered]
    if missing:
        problems.append(
            _("回盘缺少 %(count)d 条发出的记录:%(references)s")
            % {"count": len(missing), "references": "、".join(missing[:_LISTED])}
        )
    if problems:
        raise ReturnMismatchError(
            _("回盘文件与发出的银行文件不符,没有导入任何结果:%(problems)s")
            % {"problems": ";".join(problems[:_LISTED])},
            problems=problems,
        )
    paid = tuple(line for line in parsed.lines if line.paid)
    failed = tuple(line for line in parsed.lines if not line.paid)
    return ReturnMatch(
        results=results,
        paid=paid,
        failed=failed,
        paid_total=sum((line.amount for line in paid), Decimal("0.00")),
        failed_total=sum((line.amount for line in failed), Decimal("0.00")),
    )
