"""Payout fixtures: the county's three banks and a helper that enrols a retiree with rates and an account."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest

from registry.models import ArrearsItem, Bank, BankAccount, OrgUnit, PensionRate, Recovery, Retiree, Staff
from registry.months import PensionMonth
from tests.factories import (
    BankAccountFactory,
    BankFactory,
    PensionRateFactory,
    RetireeFactory,
    make_id_number,
)

M = PensionMonth
NOV = M(2026, 11)
_births = itertools.count()


@pytest.fixture
def banks(db: None) -> dict[str, Bank]:
    return {
        "psbc": BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT),
        "rcc": BankFactory.create(code="RCC", name="农村信用社", channel=Bank.Channel.EBANK_DIRECT),
        "ccb": BankFactory.create(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY),
    }


Enrol = Callable[..., Retiree]


@pytest.fixture
def enrol(county: Any, banks: dict[str, Bank]) -> Enrol:
    """A retiree with rates [(month, amount), …] and a current account at `bank` (None: no account)."""

    def make(
        *,
        community: OrgUnit | None = None,
        status: str = Retiree.Status.ACTIVE,
        rates: Sequence[tuple[PensionMonth, str]] = ((M(2018, 4), "2650.00"),),
        bank: str | None = "psbc",
        regular_payment_from: PensionMonth | None = None,
        name: str | None = None,
    ) -> Retiree:
        extra: dict[str, Any] = {}
        if status == Retiree.Status.DECEASED:
            extra["died_on"] = datetime.date(2026, 9, 2)
        if name:
            extra["name"] = name
        # A birth date of its own keeps the ID unique however many people a property test draws.
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=next(_births))
        retiree = RetireeFactory.create(
            id_number=make_id_number(birth),
            community=community or county.community_a1,
            status=status,
            regular_payment_from=regular_payment_from,
            **extra,
        )
        for month, amount in rates:
            PensionRateFactory.create(retiree=retiree, effective_month=month, amount=Decimal(amount))
        if bank:
            BankAccountFactory.create(retiree=retiree, bank=banks[bank])
        return retiree

    return make


def arrears(retiree: Retiree, month: PensionMonth, amount: str, by: Staff) -> ArrearsItem:
    return ArrearsItem.objects.create(
        retiree=retiree,
        month=month.number,
        amount=Decimal(amount),
        reason=ArrearsItem.Reason.RESTORATION,
        created_by=by,
    )


JUNE = M(2026, 6)


def recovery(retiree: Retiree, amount: str, by: Staff, *, when: PensionMonth = JUNE) -> Recovery:
    return Recovery.objects.create(
        retiree=retiree,
        amount=Decimal(amount),
        from_month=when.number,
        to_month=when.number,
        reason=Recovery.Reason.RATE_CHANGE,
        created_by=by,
    )


__all__ = ["NOV", "M", "BankAccount", "PensionRate", "arrears", "recovery"]
