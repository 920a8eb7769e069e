"""Today's Python renderer of text bank files (fixed, delimited), kept only as the oracle of the tests: the
export renders text files in PostgreSQL (pensions.bankfiles.sql_render), and the tests compare its bytes with
these."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pensions.bankfiles import BankFileProfile, PaymentLine, RenderContext, RenderedFile
from pensions.bankfiles.writer import _Encoder, _total, check_amounts, file_name, render_records


def render_text_bank_file(
    profile: BankFileProfile, lines: Sequence[PaymentLine], *, context: RenderContext
) -> RenderedFile:
    """The text bank file for these lines. Raises UnencodableLines or InvalidLinesError (Chinese, naming
    lines) instead of writing anything doubtful."""
    assert profile.layout != "xlsx", profile.code
    encoder = _Encoder(profile)
    encoder.flag(check_amounts(enumerate(lines, 1)))
    total = _total(lines)
    content = render_records(
        profile, lines, context=context, fields=profile.fields, total=total, encoder=encoder
    )
    return RenderedFile(
        name=file_name(profile, context),
        content=content,
        count=len(lines),
        total=total,
        sha256=hashlib.sha256(content).hexdigest(),
        content_type="text/plain",
    )


def render_bank_file(
    profile: BankFileProfile, lines: Sequence[PaymentLine], *, context: RenderContext
) -> RenderedFile:
    """Any profile: text through the oracle, xlsx through the production writer."""
    from pensions.bankfiles import render_bank_file as render_xlsx_bank_file

    if profile.layout == "xlsx":
        return render_xlsx_bank_file(profile, lines, context=context)
    return render_text_bank_file(profile, lines, context=context)
