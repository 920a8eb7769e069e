"""Forms of the claim pages (benefits.views.claims). They parse; the rules are in benefits.services.claims."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Bank

from .models import SurvivorClaim
from .services.claims import ClaimApplicant, ClaimFigures


class ClaimForm(forms.Form):
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=50)
    applicant_relation = forms.CharField(label=_("与死者关系"), max_length=20, help_text=_("如 配偶、子女"))
    applicant_id_number = forms.CharField(label=_("申请人身份证号码"), max_length=20)
    applicant_phone = forms.CharField(label=_("申请人电话"), max_length=30)
    bank = forms.ModelChoiceField(label=_("收款银行"), queryset=Bank.objects.filter(is_active=True))
    account_number = forms.CharField(label=_("收款账号"), max_length=40)
    holder_name = forms.CharField(label=_("收款户名"), max_length=50)
    applicant_id_copy = forms.FileField(label=_("申请人身份证复印件(PDF、JPG 或 PNG)"), required=False)
    relation_proof = forms.FileField(label=_("亲属关系证明(PDF、JPG 或 PNG)"), required=False)
    offset_consent = forms.CharField(
        label=_("同意抵扣记录"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "申请人同意以本待遇抵扣死亡后多发养老金时,记录其签字同意的情况(如“申请人 2026-11-20 签字同意,"
            "见申请表第 2 页”)。不填则不抵扣。"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, bound in self.fields.items():
            css = "form-select" if name == "bank" else "form-control"
            bound.widget.attrs.setdefault("class", css)

    @classmethod
    def initial_of(cls, claim: SurvivorClaim) -> dict[str, Any]:
        return {
            "applicant_name": claim.applicant_name,
            "applicant_relation": claim.applicant_relation,
            "applicant_id_number": claim.applicant_id_number,
            "applicant_phone": claim.applicant_phone,
            "bank": claim.bank_id,
            "account_number": claim.account_number,
            "holder_name": claim.holder_name,
            "offset_consent": claim.offset_consent,
        }

    def applicant(self) -> ClaimApplicant:
        data = self.cleaned_data
        bank = data.get("bank")
        return ClaimApplicant(
            name=data["applicant_name"],
            relation=data["applicant_relation"],
            id_number=data["applicant_id_number"],
            phone=data["applicant_phone"],
            bank_id=bank.pk if bank is not None else None,
            account_number=data["account_number"],
            holder_name=data["holder_name"],
            offset_consent=data.get("offset_consent") or "",
        )


def _money() -> forms.DecimalField:
    return forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)


class ClaimApproveForm(forms.Form):
    """The figures the approval dialog showed (services.claim_approve checks them again)."""

    funeral_allowance = _money()
    compensation_months = forms.IntegerField(widget=forms.HiddenInput)
    average_used = _money()
    compensation = _money()
    withheld_amount = _money()
    unpaid_amount = _money()
    offset_amount = _money()
    total = _money()

    def figures(self) -> ClaimFigures:
        data = self.cleaned_data
        return ClaimFigures(
            funeral_allowance=Decimal(data["funeral_allowance"]),
            compensation_months=int(data["compensation_months"]),
            average_used=Decimal(data["average_used"]),
            compensation=Decimal(data["compensation"]),
            withheld_amount=Decimal(data["withheld_amount"]),
            unpaid_amount=Decimal(data["unpaid_amount"]),
            offset_amount=Decimal(data["offset_amount"]),
            total=Decimal(data["total"]),
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-control"
