"""The intake page's form. It parses what the clerk typed into an IntakeData; every rule is the service's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Bank, OrgUnit, Retiree
from .services import IntakeData

_TEXT = {"class": "form-control"}
_SELECT = {"class": "form-select"}
_DATE = {"class": "form-control", "type": "date"}

# The page's sections, in order, with the fields each shows.
SECTIONS: list[tuple[str, Any, list[str]]] = [
    ("identity", _("身份信息"), ["name", "id_number", "sex", "birth_date", "phone", "address", "photo"]),
    (
        "residence",
        _("居住地"),
        ["township", "community_id", "residence", "remote_province", "remote_city", "remote_address"],
    ),
    (
        "employment",
        _("原单位与退休"),
        ["employer_name", "work_start_date", "retirement_date", "contribution_months"],
    ),
    ("pension", _("养老金与银行账户"), ["initial_amount", "bank_id", "account_number", "holder_name"]),
    (
        "agent",
        _("委托代办人(可选)"),
        ["agent_name", "agent_id_number", "agent_relation", "agent_phone", "agent_proof"],
    ),
    ("fee", _("退管费"), ["fee_amount", "fee_receipt_number", "fee_paid_on"]),
]


class IntakeForm(forms.Form):
    # 身份信息
    name = forms.CharField(label=_("姓名"), max_length=60, widget=forms.TextInput(_TEXT))
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=20,
        help_text=_("18位,或旧的15位号码(自动升位)。出生日期和性别按号码填写。"),
        widget=forms.TextInput({**_TEXT, "autocomplete": "off", "spellcheck": "false"}),
    )
    sex = forms.ChoiceField(
        label=_("性别"),
        required=False,
        choices=[("", _("按身份证号码")), *Retiree.Sex.choices],
        widget=forms.Select(_SELECT),
    )
    birth_date = forms.DateField(
        label=_("出生日期"),
        required=False,
        help_text=_("可不填;填写时须与身份证号码一致。"),
        widget=forms.DateInput(_DATE),
    )
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30, widget=forms.TextInput(_TEXT))
    address = forms.CharField(
        label=_("本地住址"), required=False, max_length=200, widget=forms.TextInput(_TEXT)
    )
    photo = forms.FileField(
        label=_("照片"),
        required=False,
        help_text=_("一寸免冠近照,JPG 或 PNG,印在待遇证上。"),
        widget=forms.ClearableFileInput({"class": "form-control", "accept": "image/jpeg,image/png"}),
    )
    # 居住地: the township only narrows the community list.
    township = forms.ModelChoiceField(
        label=_("乡镇(街道)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("请选择乡镇"),
        widget=forms.Select(_SELECT),
    )
    community_id = forms.ModelChoiceField(
        label=_("所属社区(村居)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("请选择社区"),
        widget=forms.Select(_SELECT),
        help_text=_("异地居住的人员也须选择一个负责管理的社区。"),
    )
    residence = forms.ChoiceField(
        label=_("居住类型"),
        choices=Retiree.Residence.choices,
        initial=Retiree.Residence.LOCAL,
        widget=forms.RadioSelect({"class": "form-check-input"}),
    )
    remote_province = forms.CharField(
        label=_("居住省份"), required=False, max_length=30, widget=forms.TextInput(_TEXT)
    )
    remote_city = forms.CharField(
        label=_("居住城市"), required=False, max_length=50, widget=forms.TextInput(_TEXT)
    )
    remote_address = forms.CharField(
        label=_("异地居住地址"), required=False, max_length=200, widget=forms.TextInput(_TEXT)
    )
    # 原单位与退休
    employer_name = forms.CharField(
        label=_("原单位"),
        required=False,
        max_length=200,
        help_text=_("输入几个字可从已有单位中选择;没有的单位会新建。"),
        widget=forms.TextInput({**_TEXT, "list": "employer-options", "autocomplete": "off"}),
    )
    work_start_date = forms.DateField(label=_("参加工作时间"), required=False, widget=forms.DateInput(_DATE))
    retirement_date = forms.DateField(label=_("退休时间"), widget=forms.DateInput(_DATE))
    contribution_months = forms.IntegerField(
        label=_("缴费月数"), min_value=0, initial=0, widget=forms.NumberInput({**_TEXT, "min": "0"})
    )
    # 养老金与银行账户
    initial_amount = forms.DecimalField(
        label=_("初次核定月养老金(元)"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput({**_TEXT, "step": "0.01", "min": "0.01"}),
    )
    bank_id = forms.ModelChoiceField(
        label=_("发放银行"),
        queryset=Bank.objects.filter(is_active=True).order_by("code"),
        empty_label=_("请选择银行"),
        required=False,
        widget=forms.Select(_SELECT),
    )
    account_number = forms.CharField(
        label=_("账号/存折号"),
        max_length=40,
        widget=forms.TextInput({**_TEXT, "inputmode": "numeric", "autocomplete": "off"}),
    )
    holder_name = forms.CharField(
        label=_("户名"),
        required=False,
        max_length=50,
        help_text=_("不填则为本人姓名。"),
        widget=forms.TextInput(_TEXT),
    )
    # 委托代办人(可选)
    agent_name = forms.CharField(
        label=_("代办人姓名"), required=False, max_length=60, widget=forms.TextInput(_TEXT)
    )
    agent_id_number = forms.CharField(
        label=_("代办人身份证号码"),
        required=False,
        max_length=20,
        widget=forms.TextInput({**_TEXT, "autocomplete": "off"}),
    )
    agent_relation = forms.CharField(
        label=_("与本人关系"), required=False, max_length=20, widget=forms.TextInput(_TEXT)
    )
    agent_phone = forms.CharField(
        label=_("代办人电话"), required=False, max_length=30, widget=forms.TextInput(_TEXT)
    )
    agent_proof = forms.FileField(
        label=_("委托证明"),
        required=False,
        help_text=_("村委会等出具的证明,PDF、JPG 或 PNG。"),
        widget=forms.ClearableFileInput(
            {"class": "form-control", "accept": "application/pdf,image/jpeg,image/png"}
        ),
    )
    # 退管费
    fee_amount = forms.DecimalField(
        label=_("退管费金额(元)"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput({**_TEXT, "step": "0.01", "min": "0"}),
    )
    fee_receipt_number = forms.CharField(label=_("收据号"), max_length=40, widget=forms.TextInput(_TEXT))
    fee_paid_on = forms.DateField(label=_("缴费日期"), widget=forms.DateInput(_DATE))

    def __init__(
        self, *args: Any, townships: QuerySet[OrgUnit], communities: QuerySet[OrgUnit], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["township"]).queryset = townships
        cast(forms.ModelChoiceField, self.fields["community_id"]).queryset = communities
        # Live checks on the page (htmx): the ID on leaving the field, communities of the chosen township,
        # existing employers as one types.
        self.fields["id_number"].widget.attrs.update(
            {
                "hx-get": reverse("retiree-intake-id-check"),
                "hx-trigger": "blur changed, change",
                "hx-target": "#id-check",
                "hx-sync": "this:replace",
            }
        )
        self.fields["township"].widget.attrs.update(
            {
                "hx-get": reverse("retiree-intake-communities"),
                "hx-target": "#id_community_id",
                "hx-trigger": "change",
            }
        )
        self.fields["employer_name"].widget.attrs.update(
            {
                "hx-get": reverse("retiree-intake-employers"),
                "hx-target": "#employer-options",
                "hx-trigger": "input changed delay:300ms",
                "hx-sync": "this:replace",
            }
        )
        if not self.is_bound:
            self.initial.setdefault("fee_amount", Decimal(settings.INTAKE_MANAGEMENT_FEE))
            self.initial.setdefault("fee_paid_on", timezone.localdate())

    def sections(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        return [(key, title, [self[name] for name in names]) for key, title, names in SECTIONS]

    def intake_data(self) -> IntakeData:
        data = self.cleaned_data
        community = data.get("community_id")
        bank = data.get("bank_id")
        return IntakeData(
            name=data["name"],
            id_number=data["id_number"],
            sex=data.get("sex") or "",
            birth_date=data.get("birth_date"),
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            community_id=community.pk if community else None,
            residence=data["residence"],
            remote_province=data.get("remote_province", ""),
            remote_city=data.get("remote_city", ""),
            remote_address=data.get("remote_address", ""),
            employer_name=data.get("employer_name", ""),
            work_start_date=data.get("work_start_date"),
            retirement_date=data["retirement_date"],
            contribution_months=data["contribution_months"],
            initial_amount=data["initial_amount"],
            bank_id=bank.pk if bank else None,
            account_number=data["account_number"],
            holder_name=data.get("holder_name", ""),
            agent_name=data.get("agent_name", ""),
            agent_id_number=data.get("agent_id_number", ""),
            agent_relation=data.get("agent_relation", ""),
            agent_phone=data.get("agent_phone", ""),
            fee_amount=data["fee_amount"],
            fee_receipt_number=data["fee_receipt_number"],
            fee_paid_on=data["fee_paid_on"],
        )
