"""How money and head counts read, in pages, messages, PDFs and stored reasons: one place for both languages.

Money is `¥101,409,372.54` in Chinese and in English: the yuan sign, thousands separators and two decimals,
formatted from the Decimal itself (never via float). Django's zh-hans number format does not group digits,
so `floatformat`/`intcomma` would give "101409372.54" in one language and "101,409,372.54" in the other.
"""

from __future__ import annotations

from decimal import Decimal


def yuan(value: Decimal | int | str | None) -> str:
    """¥2,650.00; −¥500.00 for a negative amount; an em dash for no amount."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def thousands(value: int | None) -> str:
    """29,574: counts grouped by thousands."""
    return "" if value is None else f"{value:,}"
