"""The forms of the death pages: a township report, a clerk's registration with the documents, the
reviewer's decisions and the list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import OrgUnit

from .models import DeathRegistration

_SCAN_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _text(label: Any, max_length: int, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={
            "required": _("请填写%(label)s。") % {"label": label},
            "max_length": _("%(label)s不能超过%(max)d个字。") % {"label": label, "max": max_length},
        },
    )


def _scan(label: Any) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": _SCAN_ACCEPT}),
        help_text=_("可选;PDF、JPG 或 PNG 扫描件"),
    )


class DeathReportForm(forms.Form):
    died_on = forms.DateField(
        label=_("死亡日期"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写死亡日期。"), "invalid": _("请填写正确的日期。")},
    )
    reporter_name = _text(_("报告人"), 50)
    reporter_relation = _text(_("与死者关系"), 20)
    reporter_phone = _text(_("报告人电话"), 30)
    note = forms.CharField(
        label=_("说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        error_messages={"max_length": _("说明不能超过300个字。")},
    )

    def service_arguments(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class DeathRecordForm(DeathReportForm):
    cremation_certificate = _scan(_("死亡或火化证明"))
    burial_certificate = _scan(_("安葬证明"))
    deceased_id_copy = _scan(_("死者身份证复印件"))
    reporter_id_copy = _scan(_("报告人身份证复印件"))

    DOCUMENTS = ("cremation_certificate", "burial_certificate", "deceased_id_copy", "reporter_id_copy")

    def service_arguments(self) -> dict[str, Any]:
        arguments = {
            name: self.cleaned_data.get(name)
            for name in ("died_on", "reporter_name", "reporter_relation", "reporter_phone", "note")
        }
        arguments["documents"] = {name: self.cleaned_data.get(name) for name in self.DOCUMENTS}
        return arguments


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        error_messages={"required": _("请填写原因。"), "max_length": _("原因不能超过200个字。")},
    )


class ConfirmForm(forms.Form):
    """What the confirmation dialog showed: compared under the lock (benefits.services.DeathFigures)."""

    recovered_months = forms.CharField(required=False, widget=forms.HiddenInput)
    recovered_total = forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)


class DeathFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部"))] + list(DeathRegistration.Status.choices),
        widget=forms.Select(attrs={"class": "form-select", "data-autosubmit": ""}),
    )
    township = forms.ModelChoiceField(
        label=_("乡镇(街道)"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=_("全部"),
        widget=forms.Select(attrs={"class": "form-select", "data-autosubmit": ""}),
    )

    def __init__(self, *args: Any, townships: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships  # type: ignore[attr-defined]
