"""Today's Python renderer of text bank files (fixed, delimited), kept only as the oracle of the tests: the
export renders text files in PostgreSQL (pensions.bankfiles.sql_render), and the tests compare its bytes with
these."""

from __future__ import annotations

from collections.abc import Sequence

from pensions.bankfiles import BankFileProfile, PaymentLine, RenderContext, RenderedFile
from pensions.bankfiles.writer import render_records, rendered_file


def render_text_bank_file(
    profile: BankFileProfile, lines: Sequence[PaymentLine], *, context: RenderContext
) -> RenderedFile:
    """The text bank file for these lines. Raises UnencodableLines or InvalidLinesError (Chinese, naming
    lines) instead of writing anything doubtful."""
    assert profile.layout != "xlsx", profile.code
    return rendered_file(profile, lines, context=context, write=render_records, content_type="text/plain")


def render_bank_file(
    profile: BankFileProfile, lines: Sequence[PaymentLine], *, context: RenderContext
) -> RenderedFile:
    """Any profile: text through the oracle, xlsx through the production writer."""
    from pensions.bankfiles import render_bank_file as render_xlsx_bank_file

    if profile.layout == "xlsx":
        return render_xlsx_bank_file(profile, lines, context=context)
    return render_text_bank_file(profile, lines, context=context)
