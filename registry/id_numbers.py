"""Resident ID numbers (公民身份号码, GB 11643-1999).

The check character is ISO 7064 MOD 11-2. The address code (first six digits) is never a reason to refuse a
number: counties are renamed and renumbered, and a retiree born in 1950 carries a code that may no longer
exist (docs/technical-notes.md: python-stdnum refuses such real numbers). Unknown codes are a warning for
the clerk.
"""

from __future__ import annotations

import datetime
import operator
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SHAPE_18 = re.compile(r"^\d{17}[\dX]$")
_SHAPE_15 = re.compile(r"^\d{15}$")
# Province-level codes (first two digits) of GB/T 2260; 71 Taiwan, 81 Hong Kong, 82 Macao.
_PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
EARLIEST_BIRTH = datetime.date(1890, 1, 1)


def check_character(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("check_character needs exactly 17 digits")
    # map in C rather than a generator: every row of a 100,000-row import runs this.
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A validated, normalised ID number."""

    number: str  # always 18 characters, upper-case X
    original: str  # as given, when it was the old 15-digit form; otherwise empty
    birth_date: datetime.date
    sex: str  # "M" or "F", from the sequence digit (odd is male)
    warnings: tuple[str, ...] = field(default=())

    @property
    def address_code(self) -> str:
        return self.number[:6]


def _birth_date(digits: str, today: datetime.date) -> datetime.date:
    try:
        born = datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationError(
            _("身份证号码中的出生日期 %(date)s 不是有效日期。"),
            code="bad_birth_date",
            params={"date": digits},
        ) from None
    if born < EARLIEST_BIRTH or born > today:
        raise ValidationError(
            _("身份证号码中的出生日期 %(date)s 不在合理范围内。"),
            code="bad_birth_date",
            params={"date": born.isoformat()},
        )
    return born


def parse_resident_id(raw: str, *, today: datetime.date | None = None) -> ResidentId:
    """Validate and normalise an ID number; raise ValidationError with a message a clerk understands.

    Accepts 18 characters (last may be x or X) or the old 15-digit form, which is converted to 18 by
    inserting "19" before the two-digit year and appending the check character.
    """
    today = today or timezone.localdate()
    text = (raw or "").strip().replace(" ", "").upper()
    original = ""
    if _SHAPE_15.match(text):
        original = text
        first17 = text[:6] + "19" + text[6:]
        text = first17 + check_character(first17)
    elif not _SHAPE_18.match(text):
        raise ValidationError(
            _("身份证号码应为18位(最后一位可为X)或旧的15位数字,收到的是“%(value)s”。"),
            code="bad_shape",
            params={"value": raw},
        )
    born = _birth_date(text[6:14], today)
    expected = check_character(text[:17])
    if text[17] != expected:
        raise ValidationError(
            _("身份证号码校验位错误:最后一位应为 %(expected)s,而不是 %(given)s,请核对号码。"),
            code="bad_check_character",
            params={"expected": expected, "given": text[17]},
        )
    warnings: list[str] = []
    if text[:2] not in _PROVINCE_CODES:
        warnings.append(_("地址码 %(code)s 不属于已知省份,请核对(仍可登记)。") % {"code": text[:6]})
    sex = "M" if int(text[16]) % 2 == 1 else "F"
    return ResidentId(number=text, original=original, birth_date=born, sex=sex, warnings=tuple(warnings))


def validate_resident_id(value: str) -> None:
    """Field validator for stored numbers: valid and already normalised (18 characters, upper-case X).
    Services normalise what a clerk typed with parse_resident_id before it gets here."""
    if parse_resident_id(value).number != value:
        raise ValidationError(
            _("请使用规范的18位身份证号码(15位号码先升位,末位X大写)。"), code="not_normalised"
        )


def mask_resident_id(number: str) -> str:
    """110105********002X: the address code and the last four stay readable, the birth date does not."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_account_number(number: str) -> str:
    """6221********0022: the first four (the bank's card prefix) and the last four stay readable."""
    if len(number) <= 8:
        return "*" * max(len(number) - 4, 0) + number[-4:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
