"""Forms of the information-change pages. They only read what was typed; registry.services.changes decides
whether it is acceptable, with the same messages the API gives. Form field names match the service's keys
so a ChangeRequestError lands on the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import access
from .fields import PensionMonthFormField
from .models import Bank, ChangeRequest, OrgUnit, Retiree, Staff
from .selectors.units import community_order

Field = ChangeRequest.Field


def _text(label: Any, *, max_length: int = 200, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs={"class": "form-control", **attrs}),
    )


class ChangeRequestForm(forms.Form):
    """What every request has: why, and the scanned document that shows it."""

    reason = forms.CharField(
        label=_("变更原因"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    document = forms.FileField(
        label=_("证明材料扫描件"),
        required=False,
        help_text=_("PDF、JPG 或 PNG"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png",
            }
        ),
    )
    value_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, user: Staff, retiree: Retiree, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.retiree = retiree

    def new_value(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.value_fields}

    def service_arguments(self) -> dict[str, Any]:
        return {}


class NameForm(ChangeRequestForm):
    name = _text(_("新姓名"), max_length=60, autocomplete="off")
    value_fields = ("name",)


class IdNumberForm(ChangeRequestForm):
    id_number = _text(
        _("新身份证号码"), max_length=30, autocomplete="off", placeholder=_("18位,或旧的15位号码")
    )
    birth_date_differs = forms.BooleanField(
        label=_("出生日期与身份证不一致(档案为准,已在原因中说明)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    value_fields = ("id_number", "birth_date_differs")


class AmountChangeForm(ChangeRequestForm):
    """Birth date, work start date and contribution months: the HR bureau's approval and the recomputed
    amount (零星调资)."""

    approval_reference = _text(_("人社局审批文号"), max_length=60)
    new_amount = forms.DecimalField(
        label=_("调整后月养老金(元)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
        error_messages={
            "invalid": _("请填写金额,例如 2865.50。"),
            "max_decimal_places": _("最多两位小数(分)。"),
        },
    )
    effective_month = PensionMonthFormField(
        label=_("调整起始月份"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "month", "placeholder": "2026-04"}),
    )
    # The money effect the person was shown, and their confirmation of it (see views.changes).
    effect_token = forms.CharField(required=False, widget=forms.HiddenInput)
    effect_confirmed = forms.BooleanField(
        label=_("我已核对上述补发/追回金额"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def service_arguments(self) -> dict[str, Any]:
        return {
            "approval_reference": self.cleaned_data.get("approval_reference") or "",
            "new_amount": self.cleaned_data.get("new_amount"),
            "effective_month": self.cleaned_data.get("effective_month"),
        }


_DATE = {"class": "form-control", "type": "date"}


class BirthDateForm(AmountChangeForm):
    birth_date = forms.CharField(
        label=_("更正后的出生日期"), required=False, widget=forms.DateInput(attrs=_DATE)
    )
    value_fields = ("birth_date",)


class WorkStartDateForm(AmountChangeForm):
    work_start_date = forms.CharField(
        label=_("更正后的参加工作时间"), required=False, widget=forms.DateInput(attrs=_DATE)
    )
    value_fields = ("work_start_date",)


class ContributionMonthsForm(AmountChangeForm):
    contribution_months = forms.CharField(
        label=_("更正后的缴费月数"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "1", "min": "0", "max": "720"}),
    )
    value_fields = ("contribution_months",)


class ContactForm(ChangeRequestForm):
    phone = _text(_("联系电话"), max_length=30)
    address = _text(_("本地住址"), max_length=200)
    value_fields = ("phone", "address")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.update(phone=self.retiree.phone, address=self.retiree.address)


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name if obj.parent else ''} {obj.name}".strip()


class ResidenceForm(ChangeRequestForm):
    residence = forms.ChoiceField(
        label=_("居住类型"),
        required=False,
        choices=Retiree.Residence.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    community_id = CommunityChoiceField(
        label=_("所属社区(本地居住)"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=_("请选择社区"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    remote_province = _text(_("居住省份"), max_length=30)
    remote_city = _text(_("居住城市"), max_length=50)
    remote_address = _text(_("异地居住地址"), max_length=200)
    value_fields = ("residence", "community_id", "remote_province", "remote_city", "remote_address")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community_id"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101  # declared above
        field.queryset = (
            OrgUnit.objects.filter(id__in=access.visible_community_ids(self.user))
            .select_related("parent")
            .order_by(*community_order())
        )
        if not self.is_bound:
            self.initial.update(residence=self.retiree.residence, community_id=self.retiree.community_id)

    def new_value(self) -> dict[str, Any]:
        value = super().new_value()
        community = value.get("community_id")
        value["community_id"] = community.pk if community else None
        return value


class BankAccountForm(ChangeRequestForm):
    bank_id = forms.ModelChoiceField(
        label=_("发放银行"),
        required=False,
        queryset=Bank.objects.filter(is_active=True).order_by("code"),
        empty_label=_("请选择银行"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    account_number = _text(_("账号/存折号"), max_length=40, autocomplete="off", inputmode="numeric")
    holder_name = _text(_("户名"), max_length=60)
    value_fields = ("bank_id", "account_number", "holder_name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["holder_name"] = self.retiree.name

    def new_value(self) -> dict[str, Any]:
        value = super().new_value()
        bank = value.get("bank_id")
        value["bank_id"] = bank.pk if bank else None
        return value


class AgentForm(ChangeRequestForm):
    remove = forms.BooleanField(
        label=_("取消现有委托代办人"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    name = _text(_("代办人姓名"), max_length=60)
    id_number = _text(_("代办人身份证号码"), max_length=30, autocomplete="off")
    relation = _text(_("与本人关系"), max_length=20, placeholder=_("如:子女、配偶、村委会"))
    phone = _text(_("代办人联系电话"), max_length=30)
    value_fields = ("remove", "name", "id_number", "relation", "phone")


FORMS: dict[str, type[ChangeRequestForm]] = {
    Field.NAME: NameForm,
    Field.ID_NUMBER: IdNumberForm,
    Field.BIRTH_DATE: BirthDateForm,
    Field.WORK_START_DATE: WorkStartDateForm,
    Field.CONTRIBUTION_MONTHS: ContributionMonthsForm,
    Field.CONTACT: ContactForm,
    Field.RESIDENCE: ResidenceForm,
    Field.BANK_ACCOUNT: BankAccountForm,
    Field.AGENT: AgentForm,
}


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *ChangeRequest.Status.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    field = forms.ChoiceField(
        label=_("变更项目"),
        required=False,
        choices=[("", _("全部项目")), *Field.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    effect_token = forms.CharField(required=False, widget=forms.HiddenInput)
