"""The filters of the county-wide audit log (/audit/). Invalid values are dropped, so a stale link still shows
the log; the errors are shown beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Staff
from .selectors.audit_log import AuditLogFilters, audit_sources


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name}({obj.username})"


class AuditLogFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), required=False)
    staff = StaffChoiceField(
        label=_("经办人"), queryset=Staff.objects.order_by("username"), required=False, empty_label=_("全部")
    )
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    retiree = forms.CharField(
        label=_("退休人员"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": _("身份证号码开头或姓名")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # noqa: S101  # declared above
        kind.choices = [("", _("全部"))] + [(source.kind, source.label) for source in audit_sources()]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-select" if name in ("kind", "staff") else "form-control"
            )

    def filters(self) -> AuditLogFilters:
        if not self.is_bound:
            return AuditLogFilters()
        self.is_valid()  # fills cleaned_data with the valid fields; invalid ones are left out
        data = self.cleaned_data
        staff = data.get("staff")
        return AuditLogFilters(
            kind=data.get("kind") or "",
            staff_id=staff.pk if staff is not None else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            retiree=(data.get("retiree") or "").strip(),
        )
