"""Bank payout files and return files (回盘), as a pure library: profiles, a writer and a return-file reader.

No database here: the plan code hands over PaymentLine snapshots and stores what comes back
(docs/bank-files.md).
"""

from .errors import (
    BankFileError,
    InvalidLinesError,
    LineProblem,
    ProfileError,
    ReturnFileError,
    ReturnMismatchError,
    UnencodableLine,
    UnencodableLines,
)
from .profiles import SHIPPED_PROFILES, BankFileProfile, FieldSpec, ReturnSpec, shipped_profile
from .returns import (
    ParsedReturn,
    ReturnLine,
    ReturnMatch,
    match_return,
    parse_return_file,
    render_return_file,
)
from .writer import (
    PaymentLine,
    RenderContext,
    RenderedFile,
    one_off_reference,
    payment_reference,
)
from .xlsx import render_bank_file

__all__ = [
    "SHIPPED_PROFILES",
    "BankFileError",
    "BankFileProfile",
    "FieldSpec",
    "InvalidLinesError",
    "LineProblem",
    "ParsedReturn",
    "PaymentLine",
    "ProfileError",
    "RenderContext",
    "RenderedFile",
    "ReturnFileError",
    "ReturnLine",
    "ReturnMatch",
    "ReturnMismatchError",
    "ReturnSpec",
    "UnencodableLine",
    "UnencodableLines",
    "match_return",
    "one_off_reference",
    "parse_return_file",
    "payment_reference",
    "render_bank_file",
    "render_return_file",
    "shipped_profile",
]
