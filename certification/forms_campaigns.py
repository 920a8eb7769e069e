"""Forms of the campaign pages. They parse; certification.services.campaigns decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.models import OrgUnit

from .models import Mode


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写日期。"), "invalid": _("请填写正确的日期。")},
    )


class CampaignCreateForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2999)


class CampaignForm(forms.Form):
    window_start = _date_field(_("认证开始日期"))
    window_end = _date_field(_("认证截止日期"))
    remote_export_deadline = _date_field(_("异地人员数据导出截止日期"))
    suspension_date = _date_field(_("暂停发放日期"))
    mode = forms.ChoiceField(
        label=_("认证方式"),
        choices=Mode.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择认证方式。"), "invalid_choice": _("请选择认证方式。")},
    )


class SuspendedFilterForm(forms.Form):
    """The suspended list's township filter, limited to the townships the user sees."""

    township = forms.ModelChoiceField(
        label=_("乡镇(街道)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("全部乡镇"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, townships: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["township"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101  # declared just above
        field.queryset = townships
