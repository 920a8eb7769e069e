"""Forms of the payout plan pages. They parse; the services decide."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.fields import PensionMonthFormField
from registry.models import Bank, OrgUnit

from .models import PayoutPlan
from .selectors import LineFilters
from .services import PlanFigures


class DraftForm(forms.Form):
    month = PensionMonthFormField(
        label=_("发放月份"),
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control", "maxlength": "7"}),
    )


class PlanConfirmForm(forms.Form):
    """What the person saw in the confirmation dialog. A plan regenerated (or otherwise changed) since the
    page was drawn no longer matches, and the action is refused rather than applied to other figures."""

    line_count = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    net_total = forms.DecimalField(widget=forms.HiddenInput, max_digits=14, decimal_places=2)
    generated_at = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def figures(self) -> PlanFigures | None:
        """What the dialog showed, for the service's check (pensions.services.plan_figures_check); None
        when the form is not valid (nothing was confirmed)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            generated_at = datetime.datetime.fromisoformat(data["generated_at"])
        except ValueError:
            return None
        return PlanFigures(
            line_count=data["line_count"], net_total=Decimal(data["net_total"]), generated_at=generated_at
        )

    def matches(self, plan: PayoutPlan) -> bool:
        """For the moves whose service takes no figures (regeneration): the same comparison."""
        return self.figures() == PlanFigures.of(plan)


class RejectForm(PlanConfirmForm):
    reason = forms.CharField(
        label=_("退回原因"),
        max_length=300,
        required=True,
        error_messages={"required": _("请填写退回原因。")},
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


def confirm_initial(plan: PayoutPlan) -> dict[str, Any]:
    return {
        "line_count": plan.line_count,
        "net_total": plan.net_total,
        "generated_at": plan.generated_at.isoformat(),
    }


class PersonLineFilterForm(forms.Form):
    """The search box and township choice every line list has (a plan's, an adjustment run's)."""

    q = forms.CharField(
        label=_("姓名或身份证号码前缀"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "placeholder": _("姓名开头,或身份证号码前4位以上"),
                "type": "search",
            }
        ),
    )
    township = forms.ModelChoiceField(
        label=_("乡镇(街道)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("全部乡镇"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, data: Any = None, *, townships: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["township"].queryset = townships  # type: ignore[attr-defined]


class LineFilterForm(PersonLineFilterForm):
    bank = forms.ModelChoiceField(
        label=_("银行"),
        queryset=Bank.objects.none(),
        required=False,
        empty_label=_("全部银行"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    withheld = forms.BooleanField(label=_("仅暂停发放"), required=False)
    arrears = forms.BooleanField(label=_("有补发"), required=False)
    deduction = forms.BooleanField(label=_("有扣回"), required=False)

    def __init__(
        self, data: Any = None, *, townships: QuerySet[OrgUnit], banks: QuerySet[Bank], **kwargs: Any
    ) -> None:
        super().__init__(data, townships=townships, **kwargs)
        self.fields["bank"].queryset = banks  # type: ignore[attr-defined]
        for name in ("withheld", "arrears", "deduction"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def filters(self) -> LineFilters:
        if not self.is_bound or not self.is_valid():
            return LineFilters()
        data = self.cleaned_data
        return LineFilters(
            q=data["q"] or "",
            township_id=data["township"].pk if data["township"] else None,
            bank_id=data["bank"].pk if data["bank"] else None,
            withheld_only=data["withheld"],
            has_arrears=data["arrears"],
            has_deduction=data["deduction"],
        )
