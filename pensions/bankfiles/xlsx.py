"""The xlsx layout of a bank file (docs/bank-files.md, "xlsx profiles"): optional header rows, the column
labels, one row per line, then the control-total row, written by registry.xlsx (xlsxwriter, constant memory).

Each field is checked by the same rules as the text layouts (pensions.bankfiles.writer._text and amount_text)
and written as its kind says, decided once per column, not per cell: an amount in yuan as a number in
"#,##0.00" (in fen as a whole number), 序号 and 笔数 as numbers, ID and account numbers ("digits") and the
reference as text in the text format "@", other text as plain strings; formula-like text gets the quote
prefix. A file with any refused line is not written at all: the problems are collected and raised, as for
text files.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from registry.xlsx import MONEY, NUMBER, PLAIN, TEXT, Kind, Value, xlsx_book

from .profiles import NUMBER_SOURCES, BankFileProfile, FieldSpec
from .writer import (
    _CONTROL,
    _DIGITS,
    XLSX_CONTENT_TYPE,
    Getter,
    PaymentLine,
    RenderContext,
    RenderedFile,
    _Encoder,
    _FieldError,
    _getter,
    _raise_if_any,
    _summary,
    _text,
    amount_text,
    rendered_file,
)

Check = Callable[[object], Value]


def _column(spec: FieldSpec, unit: str) -> tuple[Kind, Check]:
    """How one field is checked and written: its column kind and the check turning a raw value into the cell
    (raising _FieldError with the clerk's message)."""
    if spec.kind == "amount":
        if unit == "fen":
            return NUMBER, lambda raw: int(amount_text(raw, unit))

        def money(raw: object) -> Value:
            if raw.__class__ is Decimal:
                cents = raw * 100
                if cents == cents.to_integral_value():
                    return raw  # exact fen: written as the same number
            return Decimal(amount_text(raw, unit))  # raises for anything else

        return MONEY, money
    if spec.name in NUMBER_SOURCES:
        return NUMBER, lambda raw: raw if raw.__class__ is int else int(_text(spec, raw, unit))
    kind = TEXT if spec.kind == "digits" or spec.name == "reference" else PLAIN
    # The usual value passes one test; anything else goes through _text, which says what is wrong.
    if spec.kind == "digits":
        digits = _DIGITS.fullmatch

        def digit_text(raw: object) -> Value:
            if raw.__class__ is str and digits(raw):
                return raw
            return _text(spec, raw, unit)

        return kind, digit_text
    control = _CONTROL.search
    must_show = spec.name == "name"

    def text(raw: object) -> Value:
        if raw.__class__ is str and not control(raw) and (not must_show or raw.strip()):
            return raw
        return _text(spec, raw, unit)

    return kind, text


class _Record:
    """One record layout (header, detail or trailer): its getters, checks and column kinds."""

    def __init__(self, specs: Sequence[FieldSpec], unit: str) -> None:
        columns = [_column(spec, unit) for spec in specs]
        self.kinds = [kind for kind, _check in columns]
        self.pairs: list[tuple[Getter, Check]] = [
            (_getter(spec), check) for spec, (_kind, check) in zip(specs, columns, strict=True)
        ]

    def cells(
        self, source: object, seq: int, *, encoder: _Encoder, reference: str, name: str
    ) -> list[Value] | None:
        """The record's cells, or None after telling the encoder every field's problem."""
        try:
            return [check(get(source, seq)) for get, check in self.pairs]
        except _FieldError:
            pass
        problems: list[str] = []
        for get, check in self.pairs:
            try:
                check(get(source, seq))
            except _FieldError as error:
                problems.append(error.message)
        encoder.add(seq, reference, name, problems, [])
        return None


def render_xlsx(
    profile: BankFileProfile,
    lines: Sequence[Any],
    *,
    context: RenderContext,
    fields: Sequence[FieldSpec],
    total: Decimal,
    encoder: _Encoder,
) -> bytes:
    """The xlsx file of these lines (PaymentLine or a return file's rows), or the problems raised."""
    summary = _summary(context, len(lines), total, context.bank_code or profile.code.upper())
    unit = profile.unit
    detail = _Record(fields, unit)

    def detail_rows() -> Iterator[list[Value]]:
        cells = detail.cells
        for seq, line in enumerate(lines, 1):
            row = cells(line, seq, encoder=encoder, reference=line.reference, name=line.name)
            if row is not None:
                yield row

    target = io.BytesIO()
    with xlsx_book(target) as book:
        sheet = book.sheet(profile.sheet_name)
        if profile.header:
            _summary_row(sheet, _Record(profile.header, unit), summary, encoder, context.batch, _("首行"))
        if profile.column_labels:
            sheet.append([spec.label or spec.name for spec in fields])
        sheet.append_all(detail_rows(), columns=detail.kinds)
        if profile.trailer:
            _summary_row(sheet, _Record(profile.trailer, unit), summary, encoder, context.batch, _("尾行"))
        # A refused file is never handed out: the bytes written so far are dropped with the exception.
        _raise_if_any(profile, encoder)
    return target.getvalue()


def _summary_row(
    sheet: Any, record: _Record, summary: dict[str, object], encoder: _Encoder, batch: str, label: str
) -> None:
    cells = record.cells(summary, 0, encoder=encoder, reference=batch, name=label)
    if cells is None:
        sheet.append([])  # the file is refused below; the row is left empty as before
    else:
        sheet.append_all([cells], columns=record.kinds)


def render_bank_file(
    profile: BankFileProfile, lines: Sequence[PaymentLine], *, context: RenderContext
) -> RenderedFile:
    """The xlsx bank file for these lines. Raises InvalidLinesError (Chinese, naming lines) instead of
    writing anything doubtful. Text layouts (fixed, delimited) are rendered by PostgreSQL straight into the
    stored file (pensions.bankfiles.sql_render): there is one way to write them."""
    if profile.layout != "xlsx":
        raise ValueError(f"{profile.code}: text bank files are rendered by PostgreSQL (sql_render)")
    return rendered_file(profile, lines, context=context, write=render_xlsx, content_type=XLSX_CONTENT_TYPE)
