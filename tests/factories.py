"""Factories for the registry. Valid ID numbers come from a counter so every retiree is distinct."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import factory

from registry.id_numbers import check_character
from registry.models import Bank, BankAccount, Employer, OrgUnit, PensionRate, Retiree, Staff
from registry.months import PensionMonth

_sequence = itertools.count(1)


def make_id_number(
    birth: datetime.date = datetime.date(1958, 3, 14), *, area: str = "360721", male: bool = True
) -> str:
    """A valid 18-character ID with a fresh sequence number (odd for men, even for women)."""
    order = next(_sequence) % 500
    sequence = f"{order * 2 + (1 if male else 0):03d}"[-3:]
    first17 = f"{area}{birth:%Y%m%d}{sequence}"
    return first17 + check_character(first17)


class OrgUnitFactory(factory.django.DjangoModelFactory[OrgUnit]):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"单位{n}")
    kind = OrgUnit.Kind.COMMUNITY


class StaffFactory(factory.django.DjangoModelFactory[Staff]):
    class Meta:
        model = Staff
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("pass-Word-123")
    role = Staff.Role.BUREAU_CLERK


class EmployerFactory(factory.django.DjangoModelFactory[Employer]):
    class Meta:
        model = Employer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"示范机械厂{n}")


class BankFactory(factory.django.DjangoModelFactory[Bank]):
    class Meta:
        model = Bank
        django_get_or_create = ("code",)

    code = "PSBC"
    name = "中国邮政储蓄银行"
    channel = Bank.Channel.SYSTEM_DIRECT


class RetireeFactory(factory.django.DjangoModelFactory[Retiree]):
    class Meta:
        model = Retiree

    id_number = factory.LazyFunction(make_id_number)
    name = factory.Iterator(["张伟", "王秀英", "李娜", "刘洋", "陈静", "曾国华", "单立新", "解红梅"])
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_number[16]) % 2 else "F")
    birth_date = factory.LazyAttribute(
        lambda o: datetime.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    )
    retirement_date = datetime.date(2018, 3, 31)
    community = factory.SubFactory(OrgUnitFactory)
    status = Retiree.Status.ACTIVE


class BankAccountFactory(factory.django.DjangoModelFactory[BankAccount]):
    class Meta:
        model = BankAccount

    retiree = factory.SubFactory(RetireeFactory)
    bank = factory.SubFactory(BankFactory)
    account_number = factory.Sequence(lambda n: f"6221{n:015d}")
    holder_name = factory.LazyAttribute(lambda o: o.retiree.name)
    valid_from = datetime.date(2018, 4, 1)


class PensionRateFactory(factory.django.DjangoModelFactory[PensionRate]):
    class Meta:
        model = PensionRate

    retiree = factory.SubFactory(RetireeFactory)
    amount = Decimal("2650.00")
    effective_month = PensionMonth(2018, 4)
    reason = PensionRate.Reason.INITIAL
