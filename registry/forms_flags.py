"""The forms of county flags (人员标记): a kind, one person's flag set or removed, an import file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FlagKind
from .services.flags import MODE_LABELS, NOTE_MAX, Mode

_TEXT = {"class": "form-control"}


class FlagKindForm(forms.Form):
    code = forms.CharField(
        label=_("标记代码"),
        max_length=20,
        help_text=_("英文字母、数字和下划线,例如 senior_title;调待参数按代码引用,有人使用后不能再改。"),
        widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": _("请填写标记代码。"), "max_length": _("标记代码最多 20 个字符。")},
    )
    name = forms.CharField(
        label=_("标记名称"),
        max_length=50,
        widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": _("请填写标记名称。"), "max_length": _("标记名称最多 50 个字。")},
    )
    sort_order = forms.IntegerField(
        label=_("排序"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs=_TEXT),
        error_messages={"required": _("请填写排序号。"), "invalid": _("排序号应为整数。")},
    )
    is_active = forms.BooleanField(
        label=_("启用"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class FlagAddForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=_("标记"),
        queryset=FlagKind.objects.filter(is_active=True).order_by("sort_order", "code"),
        empty_label=_("请选择"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择标记。"), "invalid_choice": _("该标记不存在或已停用。")},
    )
    note = forms.CharField(
        label=_("依据或说明"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("例如职称证书编号、认定文件文号")}),
        error_messages={"max_length": _("依据或说明最多 100 个字。")},
    )


class FlagRemoveForm(forms.Form):
    note = forms.CharField(
        label=_("取消原因"),
        max_length=NOTE_MAX // 2 - 10,
        widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": _("请填写取消的原因。"), "max_length": _("取消原因最多 90 个字。")},
    )


class FlagImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
        error_messages={"required": _("请选择要导入的文件。")},
    )
    mode = forms.ChoiceField(
        label=_("导入方式"),
        choices=[(mode, _(label)) for mode, label in MODE_LABELS.items()],
        initial=Mode.ADD,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={
            "required": _("请选择导入方式。"),
            "invalid_choice": _("请选择导入方式:添加或取消。"),
        },
    )


class FlagImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, error_messages={"required": _("请重新上传文件。")})
