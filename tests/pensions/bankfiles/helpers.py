"""Payment lines and a render context shared by the bank-file tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

from pensions.bankfiles import PaymentLine, RenderContext, payment_reference

CONTEXT = RenderContext(county_code="360721", month="202604", date=datetime.date(2026, 4, 10), batch="P12")


def line(number: int, *, name: str = "张建国", amount: str = "2345.60", **extra: str) -> PaymentLine:
    values = {
        "reference": payment_reference(plan_id=12, line_id=number),
        "name": name,
        "id_number": "360721195001011234",
        "account_number": f"62179900{number:08d}",
        "amount": Decimal(amount),
        "township": "城关镇",
    }
    values.update(extra)
    return PaymentLine(**values)  # type: ignore[arg-type]


ZHANG = line(1)
LI = line(2, name="李秀兰", amount="1800.00", id_number="36072119520202123X")
