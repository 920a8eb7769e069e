"""Forms of the registry pages. They parse input; what it means is decided in selectors and services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Bank, FlagKind, OrgUnit, Retiree
from .selectors import SORTS, RetireeFilters


class LoginForm(AuthenticationForm):
    """Django's login form with Chinese labels and a message that does not say which half was wrong."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确,请重新输入(密码区分大小写)。"),
        "inactive": _("该账户已停用,请联系系统管理员。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["username"].widget.attrs.update({"class": "form-control", "autocomplete": "username"})
        self.fields["password"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "current-password"}
        )


class RetireeFilterForm(forms.Form):
    """The list page's filters. Invalid values (e.g. a township outside the user's scope) are ignored,
    so a stale bookmark still shows a list instead of an error. The community choices follow the chosen
    township (the page swaps the select in when the township changes)."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("身份证号(或前几位)/ 待遇证号 / 银行账号 / 姓名 / 拼音或首字母"),
                "autocomplete": "off",
            }
        ),
    )
    township = forms.ModelChoiceField(
        label=_("乡镇"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("全部乡镇"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    community = forms.ModelChoiceField(
        label=_("社区(村居)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("全部社区"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部状态")), *Retiree.Status.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    bank = forms.ModelChoiceField(
        label=_("发放银行"),
        queryset=Bank.objects.order_by("code"),
        required=False,
        empty_label=_("全部银行"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    residence = forms.ChoiceField(
        label=_("居住类型"),
        choices=[("", _("全部")), *Retiree.Residence.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    flag = forms.ModelChoiceField(
        label=_("人员标记"),
        queryset=FlagKind.objects.order_by("sort_order", "code"),
        to_field_name="code",
        required=False,
        empty_label=_("不限"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    # Set by the column headers of the results (the page swaps this input in with each result), so the
    # filters keep the sort. An unknown value is dropped like any invalid filter.
    sort = forms.ChoiceField(
        choices=[("", "")] + [(f"{sign}{name}", f"{sign}{name}") for name in SORTS for sign in ("", "-")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(
        self, data: Any = None, *, townships: QuerySet[OrgUnit], communities: QuerySet[OrgUnit] | None = None
    ) -> None:
        super().__init__(data)
        cast(forms.ModelChoiceField, self.fields["township"]).queryset = townships
        communities = OrgUnit.objects.none() if communities is None else communities
        township = self._chosen_township(townships)
        if township is not None:
            communities = communities.filter(parent_id=township)
        cast(forms.ModelChoiceField, self.fields["community"]).queryset = communities

    def _chosen_township(self, townships: QuerySet[OrgUnit]) -> int | None:
        raw = str(self.data.get("township", "")) if self.is_bound else ""
        if raw.isdigit() and townships.filter(pk=int(raw)).exists():
            return int(raw)
        return None

    def filters(self) -> RetireeFilters:
        if not self.is_bound:
            return RetireeFilters()
        self.is_valid()
        data = self.cleaned_data
        township = data.get("township")
        community = data.get("community")
        bank = data.get("bank")
        return RetireeFilters(
            q=data.get("q", ""),
            township_id=township.pk if township else None,
            community_id=community.pk if community else None,
            status=data.get("status", ""),
            bank_id=bank.pk if bank else None,
            residence=data.get("residence", ""),
            flag_code=flag.code if (flag := data.get("flag")) else "",
            sort=data.get("sort", ""),
        )
