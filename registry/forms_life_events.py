"""The forms of a retiree's life events on the record page: termination and transfer out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class TerminateForm(forms.Form):
    effective_date = forms.DateField(
        label=_("生效日期"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写生效日期。"), "invalid": _("请填写正确的日期。")},
    )
    reason = forms.CharField(
        label=_("原因及依据"),
        max_length=200,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        error_messages={"required": _("请填写原因。"), "max_length": _("原因不能超过200个字。")},
    )

    def service_arguments(self) -> dict[str, Any]:
        return {"effective_date": self.cleaned_data["effective_date"], "reason": self.cleaned_data["reason"]}


class TransferOutForm(TerminateForm):
    counterpart = forms.CharField(
        label=_("转入地经办机构"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={
            "required": _("请填写转入地经办机构。"),
            "max_length": _("机构名称不能超过100个字。"),
        },
    )
    field_order = ("counterpart", "effective_date", "reason")

    def service_arguments(self) -> dict[str, Any]:
        return {**super().service_arguments(), "counterpart": self.cleaned_data["counterpart"]}
