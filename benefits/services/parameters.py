"""The claim parameters the admin sets (docs/benefit-parameters.md): the funeral allowance and N per year of
death, and the published county average monthly pension of a year, which wins over the computed one.

BenefitParameter is append-only: every setting is a new row and the newest row of a (kind, year) is in force,
so the rows are the history (who, when, the value, the basis). Clearing the published average appends a row
without a value; the computed average is then used again.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.models import Staff

from ..errors import BenefitError
from ..models import BenefitParameter
from ..selectors.parameters import parameter_in_force

Kind = BenefitParameter.Kind

YEAR_MIN, YEAR_MAX = 1990, 2100
MONTHS_MIN, MONTHS_MAX = 1, 60
# BenefitParameter.value is numeric(12, 2).
_AMOUNT_LIMIT = Decimal("10000000000")
_NOTE_MAX = BenefitParameter._meta.get_field("note").max_length or 200


def _check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        raise BenefitError(
            _("年度须为 %(first)d 至 %(last)d 之间的整数。") % {"first": YEAR_MIN, "last": YEAR_MAX},
            field="year",
        )
    return year


def _check_note(note: object, *, required: bool) -> str:
    text = (note or "").strip() if isinstance(note, str) or note is None else ""
    if required and not text:
        raise BenefitError(_("请填写依据(例如文件文号)。"), field="note")
    if len(text) > _NOTE_MAX:
        raise BenefitError(_("依据或说明不能超过 %(max)d 个字。") % {"max": _NOTE_MAX}, field="note")
    return text


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        # A float is refused, not converted: 0.1 has no exact binary form and money is never a float here.
        raise BenefitError(_("请填写数值。"), field="value")
    try:
        number = Decimal(str(value).strip())  # str of an int or a Decimal is exact
    except (InvalidOperation, TypeError, ValueError):
        raise BenefitError(_("请填写数值。"), field="value") from None
    if not number.is_finite():
        raise BenefitError(_("请填写数值。"), field="value")
    return number


def _check_value(kind: str, value: object) -> Decimal:
    number = _as_decimal(value)
    if kind == Kind.COMPENSATION_MONTHS:
        if number != number.to_integral_value() or not MONTHS_MIN <= number <= MONTHS_MAX:
            raise BenefitError(
                _("抚恤金月数须为 %(first)d 至 %(last)d 之间的整数。")
                % {"first": MONTHS_MIN, "last": MONTHS_MAX},
                field="value",
            )
        return number.quantize(Decimal(1))
    if number <= 0:
        raise BenefitError(_("金额须大于 0。"), field="value")
    if number != number.quantize(Decimal("0.01")):
        raise BenefitError(_("金额只能精确到分(小数点后最多两位)。"), field="value")
    if number >= _AMOUNT_LIMIT:
        raise BenefitError(_("金额过大,请检查。"), field="value")
    return number.quantize(Decimal("0.01"))


def _lock(kind: str, year: int) -> None:
    """One setting of a (kind, year) at a time: two admins saving at once are taken one after the other, so
    each sees the other's row as the one in force (the history's "old → new" stays a chain)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"benefit_parameter:{kind}:{year}"])


@transaction.atomic
def benefit_parameter_set(
    *, kind: str, year: int, value: Decimal | int | str, note: str, by: Staff
) -> BenefitParameter:
    """Set a parameter of `year`: the funeral allowance (yuan, > 0, to the fen) or N (whole months, 1–60) for
    deaths in that year, or the county average monthly pension of that year as published (yuan, with its
    basis, e.g. the document number), used for deaths in the year after. Appends a row; the one before stays
    as history. Refused when nothing would change (same value and same basis)."""
    access.require(by, Action.MANAGE_SETTINGS)
    if kind not in Kind.values:
        raise BenefitError(_("请选择要设置的参数。"), field="kind")
    year = _check_year(year)
    number = _check_value(kind, value)
    text = _check_note(note, required=kind == Kind.PUBLISHED_AVERAGE)
    _lock(kind, year)
    current = parameter_in_force(kind=kind, year=year)
    if current is not None and current.value == number and current.note == text:
        raise BenefitError(
            _("%(year)d 年的%(kind)s已经是这个数值,未修改。") % {"year": year, "kind": Kind(kind).label},
            field="value",
        )
    return BenefitParameter.objects.create(
        kind=kind, year=year, value=number, note=text, set_by=by, set_at=timezone.now()
    )


@transaction.atomic
def benefit_average_clear(*, year: int, note: str, by: Staff) -> BenefitParameter:
    """Withdraw the published average of `year` (a row without a value): claims for deaths in the year after
    use the figure computed from the paid plans again. The reason is required; refused when no published
    figure is in force."""
    access.require(by, Action.MANAGE_SETTINGS)
    year = _check_year(year)
    text = _check_note(note, required=False)
    if not text:
        raise BenefitError(_("请填写清除的原因。"), field="note")
    _lock(Kind.PUBLISHED_AVERAGE, year)
    current = parameter_in_force(kind=Kind.PUBLISHED_AVERAGE, year=year)
    if current is None or current.value is None:
        raise BenefitError(_("%(year)d 年没有公布的月人均养老金,无需清除。") % {"year": year}, field="year")
    return BenefitParameter.objects.create(
        kind=Kind.PUBLISHED_AVERAGE, year=year, value=None, note=text, set_by=by, set_at=timezone.now()
    )
