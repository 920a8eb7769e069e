"""Forms of the adjustment run pages: the lines' filters and the reviewer's decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.models import OrgUnit

from .forms import PersonLineFilterForm
from .models import AdjustmentLine
from .selectors.adjustment_runs import RunLineFilters


class RunLineFilterForm(PersonLineFilterForm):
    problem = forms.ChoiceField(
        label=_("异常"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, data: Any = None, *, townships: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(data, townships=townships, **kwargs)
        self.fields["problem"].choices = [  # type: ignore[attr-defined]
            ("", _("全部")),
            ("none", _("正常调整")),
            ("any", _("全部异常")),
            *AdjustmentLine.Problem.choices,
        ]

    def filters(self) -> RunLineFilters:
        if not self.is_bound or not self.is_valid():
            return RunLineFilters()
        township = self.cleaned_data.get("township")
        return RunLineFilters(
            q=self.cleaned_data.get("q") or "",
            township_id=township.pk if township else None,
            problem=self.cleaned_data.get("problem") or "",
        )


class RunDecisionForm(forms.Form):
    """The reviewer's comment: optional to approve, required to send the run back (the service says so)."""

    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
