"""Forms of the annual adjustment pages. They parse; pensions.services.adjustments decides (its Chinese
messages say what is wrong with an amount, a band, a tier or a month).

Amounts and whole numbers are taken as text: "12.345", "-5" or "abc" reach the service, whose message names
the field ("定额调整最多两位小数(分)"), so the page and the API refuse with the same words."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.fields import PensionMonthFormField
from registry.models import FlagKind
from registry.months import PensionMonth

from .models import AdjustmentParameters

# Repeatable rows without script: blank rows are ignored, so five of each cover every announcement seen so
# far (two or three bands, three or four age tiers).
ROWS = 5

_TEXT = {"class": "form-control", "autocomplete": "off"}
_MONEY = {**_TEXT, "inputmode": "decimal"}
_WHOLE = {**_TEXT, "inputmode": "numeric"}


def _money(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=20, help_text=help_text, widget=forms.TextInput(attrs=_MONEY)
    )


def _row_text(attrs: dict[str, str], label: Any, index: int) -> forms.CharField:
    # The rows are a table without a label per cell: the label is spoken (aria-label) with the row number.
    return forms.CharField(
        label=label,
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={**attrs, "class": "form-control form-control-sm", "aria-label": f"{label} {index + 1}"}
        ),
    )


class AdjustmentParametersForm(forms.Form):
    effective_month = PensionMonthFormField(
        label=_("调整起始月份"),
        help_text=_("通常为当年 1 月;已发放月份的增加额作为补发发放。"),
        error_messages={"required": _("请填写调整起始月份。")},
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control", "maxlength": "7"}),
    )
    retired_by = forms.DateField(
        label=_("退休时间截止日"),
        help_text=_("此日及以前退休的人员参加调整,通常为上年 12 月 31 日。"),
        error_messages={"required": _("请填写退休时间截止日。"), "invalid": _("请按“年-月-日”填写日期。")},
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    include_suspended = forms.BooleanField(
        label=_("暂停发放人员参加调整"),
        required=False,
        help_text=_("恢复发放时按调整后的标准补发。"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    include_deceased = forms.BooleanField(
        label=_("调整起始月份及以后死亡的人员参加调整"),
        required=False,
        help_text=_("补发至死亡当月,随丧葬抚恤待遇支付给家属。"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    flat_amount = _money(_("定额调整(元/月)"), _("每人每月增加相同金额(定额)。不调整的项目留空或填 0。"))
    pension_percent = forms.CharField(
        label=_("挂钩调整:按本人基本养老金的百分比(%)"),
        required=False,
        max_length=12,
        help_text=_("挂钩:按调整起始月份调整前的基本养老金乘以此百分比,例如填 1.5 表示 1.5%。"),
        widget=forms.TextInput(attrs=_MONEY),
    )
    year_counting = forms.ChoiceField(
        label=_("缴费年限计算方法"),
        choices=AdjustmentParameters.YearCounting.choices,
        help_text=_("由登记的缴费月数折算缴费年限。"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    years_minimum = _money(
        _("缴费年限挂钩部分最低(元/月)"), _("按缴费年限计算的部分低于此数时按此数计;不设最低留空。")
    )
    minimum_rise = _money(_("最低增加额(元/月)"), _("各项合计低于此数时,补足到此数;不设最低留空。"))
    announcement = forms.CharField(
        label=_("文件依据"),
        required=False,
        max_length=200,
        help_text=_("省人社厅、省财政厅调整通知的名称和文号,打印在参数表上。"),
        widget=forms.TextInput(attrs=_TEXT),
    )
    note = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=200,
        help_text=_("本次录入或更正的原因,记入修改记录。"),
        widget=forms.TextInput(attrs=_TEXT),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        flags = [("", _("(不设)"))] + [
            (kind.code, kind.name)
            for kind in FlagKind.objects.filter(is_active=True).order_by("sort_order", "code")
        ]
        for index in range(ROWS):
            self.fields[f"band_up_to_{index}"] = _row_text(_WHOLE, _("年限上限(年)"), index)
            self.fields[f"band_per_year_{index}"] = _row_text(_MONEY, _("每年金额(元)"), index)
            self.fields[f"tier_age_{index}"] = _row_text(_WHOLE, _("年龄(周岁)"), index)
            self.fields[f"tier_amount_{index}"] = _row_text(_MONEY, _("金额(元/月)"), index)
            self.fields[f"flag_{index}"] = forms.ChoiceField(
                label=_("人员标记"),
                required=False,
                choices=flags,
                widget=forms.Select(
                    attrs={
                        "class": "form-select form-select-sm",
                        "aria-label": f"{_('人员标记')} {index + 1}",
                    }
                ),
            )
            self.fields[f"flag_amount_{index}"] = _row_text(_MONEY, _("金额(元/月)"), index)

    # Rows for the template --------------------------------------------------------------------------------

    def band_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"band_up_to_{i}"], self[f"band_per_year_{i}"]) for i in range(ROWS)]

    def tier_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"tier_age_{i}"], self[f"tier_amount_{i}"]) for i in range(ROWS)]

    def flag_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"flag_{i}"], self[f"flag_amount_{i}"]) for i in range(ROWS)]

    # What the service takes --------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The service's values (pensions.adjustment_rules.PARAMETER_FIELDS); call after is_valid().
        Blank rows are left out; a row with only one of its two cells goes on, for the service to refuse."""
        data = self.cleaned_data
        bands = []
        tiers = []
        extras = []
        for i in range(ROWS):
            up_to, per_year = data.get(f"band_up_to_{i}", ""), data.get(f"band_per_year_{i}", "")
            if up_to or per_year:
                bands.append({"up_to": up_to or None, "per_year": per_year or "0"})
            age, amount = data.get(f"tier_age_{i}", ""), data.get(f"tier_amount_{i}", "")
            if age or amount:
                tiers.append({"age": age, "amount": amount or "0"})
            flag, flag_amount = data.get(f"flag_{i}", ""), data.get(f"flag_amount_{i}", "")
            if flag or flag_amount:
                extras.append({"flag": flag, "amount": flag_amount or "0"})
        return {
            "effective_month": data["effective_month"],
            "retired_by": data["retired_by"],
            "include_suspended": data["include_suspended"],
            "include_deceased": data["include_deceased"],
            "flat_amount": data["flat_amount"],
            "pension_percent": data["pension_percent"],
            "year_counting": data["year_counting"],
            "year_bands": bands,
            "years_minimum": data["years_minimum"],
            "age_tiers": tiers,
            "flag_extras": extras,
            "minimum_rise": data["minimum_rise"],
            "announcement": data["announcement"],
        }


def _plain(amount: Decimal, *, percent: bool = False) -> str:
    """0 as blank (a component left out); money as stored ("50.00"), a percent without trailing zeros."""
    if amount == 0:
        return ""
    return format(amount.normalize(), "f") if percent else str(amount)


def parameters_initial(parameters: AdjustmentParameters) -> dict[str, Any]:
    """The form filled with a stored version: a correction starts from what is in force."""
    initial: dict[str, Any] = {
        "effective_month": parameters.effective_month,
        "retired_by": parameters.retired_by,
        "include_suspended": parameters.include_suspended,
        "include_deceased": parameters.include_deceased,
        "flat_amount": _plain(parameters.flat_amount),
        "pension_percent": _plain(parameters.pension_percent, percent=True),
        "year_counting": parameters.year_counting,
        "years_minimum": _plain(parameters.years_minimum),
        "minimum_rise": _plain(parameters.minimum_rise),
        "announcement": parameters.announcement,
        "note": "",
    }
    for i, band in enumerate((parameters.year_bands or [])[:ROWS]):
        initial[f"band_up_to_{i}"] = "" if band.get("up_to") is None else str(band["up_to"])
        initial[f"band_per_year_{i}"] = str(band.get("per_year", ""))
    for i, tier in enumerate((parameters.age_tiers or [])[:ROWS]):
        initial[f"tier_age_{i}"] = str(tier["age"])
        initial[f"tier_amount_{i}"] = str(tier["amount"])
    for i, extra in enumerate((parameters.flag_extras or [])[:ROWS]):
        initial[f"flag_{i}"] = extra["flag"]
        initial[f"flag_amount_{i}"] = str(extra["amount"])
    return initial


def new_year_initial(year: int) -> dict[str, Any]:
    """A year without parameters: effective in January, retired by 31 December before, the suspended and the
    dead included (the usual wording of the announcements)."""
    return {
        "effective_month": PensionMonth(year, 1),
        "retired_by": datetime.date(year - 1, 12, 31),
        "include_suspended": True,
        "include_deceased": True,
        "year_counting": AdjustmentParameters.YearCounting.WHOLE,
    }


class ParametersCopyForm(forms.Form):
    """The year the confirmation dialog named: a year entered in between is not copied over unseen."""

    to_year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)
