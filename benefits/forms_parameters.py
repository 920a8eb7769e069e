"""Forms of the claim parameters page. They parse; benefits.services.parameters decides (its Chinese messages
say what is wrong with a value, a year or a basis)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BenefitParameter

_NUMBER = {"required": _("请填写数值。"), "invalid": _("请填写数值。")}


class ParameterSetForm(forms.Form):
    kind = forms.ChoiceField(choices=BenefitParameter.Kind.choices, widget=forms.HiddenInput)
    year = forms.IntegerField(widget=forms.HiddenInput)
    # No decimal places here: "12.345" reaches the service, whose message says "to the fen".
    value = forms.DecimalField(
        label=_("新数值"),
        error_messages=_NUMBER,
        widget=forms.TextInput(
            attrs={"class": "form-control", "inputmode": "decimal", "autocomplete": "off"}
        ),
    )
    note = forms.CharField(
        label=_("依据或说明"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


class AverageClearForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("清除原因"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
