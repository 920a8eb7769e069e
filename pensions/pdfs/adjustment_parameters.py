"""The year's parameter sheet (年度养老金调整参数表) printed on A4 and filed with the province's announcement:
every component with its figures, the bands and tiers, the rounding rule, who set the version in force and
when, and a worked example computed with the one calculation (pensions.adjustment_rules.rise_of)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import OrgUnit
from registry.pdfs.rendering import css_string, render_pdf

from ..models import AdjustmentParameters
from ..selectors.adjustment_parameters import (
    band_label,
    band_rows,
    components_of,
    flag_names,
    flag_rows,
    tier_rows,
    worked_example,
)
from ..selectors.adjustments import parameters_history

_CENT = Decimal("0.01")


def exact(value: Decimal) -> str:
    """A component as computed, never rounded by itself: 45.00, 42.9825, 29.99985."""
    if value == value.quantize(_CENT):
        return f"{value.quantize(_CENT):,.2f}"
    return f"{value.normalize():,f}"


def parameters_sheet_filename(parameters: AdjustmentParameters) -> str:
    return f"adjustment-parameters-{parameters.year}.pdf"


def parameters_sheet_context(parameters: AdjustmentParameters) -> dict[str, Any]:
    names = flag_names()
    oldest_first = list(parameters_history(parameters.year).values_list("pk", flat=True))[::-1]
    example = worked_example(parameters)
    rise = example.rise
    parts = [
        (_("定额调整"), rise.flat_part, parameters.flat_amount > 0),
        (_("挂钩调整(养老金)"), rise.pension_part, parameters.pension_percent > 0),
        (
            _("挂钩调整(缴费年限)"),
            rise.years_part,
            bool(parameters.year_bands) or parameters.years_minimum > 0,
        ),
        (_("倾斜调整(年龄)"), rise.age_part, bool(parameters.age_tiers)),
        (_("倾斜调整(人员标记)"), rise.flag_part, bool(parameters.flag_extras)),
        (_("补足到最低增加额"), rise.minimum_part, parameters.minimum_rise > 0),
    ]
    example_rows = [{"label": label, "amount": exact(amount)} for label, amount, shown in parts if shown]
    unrounded = sum((amount for _label, amount, _shown in parts), Decimal(0))
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    title = _("%(year)d 年度企业退休人员基本养老金调整参数表") % {"year": parameters.year}
    running = {
        "title": title,
        "printed": _("打印:%(at)s") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    }
    return {
        "p": parameters,
        "title": title,
        "county_name": county.name if county else "",
        "version": oldest_first.index(parameters.pk) + 1,
        "version_count": len(oldest_first),
        "components": components_of(parameters, names),
        "bands": [{"label": band_label(row), "per_year": row["per_year"]} for row in band_rows(parameters)],
        "tiers": tier_rows(parameters),
        "flags": flag_rows(parameters, names),
        "example": example,
        "example_rows": example_rows,
        "example_unrounded": exact(unrounded),
        "example_years_text": exact(rise.contribution_years),
        "printed_on": timezone.localdate(),
        "css": {key: css_string(value) for key, value in running.items()},
    }


def parameters_sheet_pdf(parameters: AdjustmentParameters) -> bytes:
    return render_pdf(
        template="pensions/adjustments/parameters_pdf.html", context=parameters_sheet_context(parameters)
    )
