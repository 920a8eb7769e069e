"""Forms of the township entry screen: the scan box and the certify form on the card.

They parse and check the shape of what was typed or uploaded; the rules of certifying (scope, status, the
first record kept, restoration) are certification.services.certify's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from registry.uploads import scan_kind

from .models import Certification

Channel = Certification.Channel

# The channels an officer records on the screen. Online self-service and data comparison results only come
# in by import (the imports pages); nobody types them in one by one.
ENTRY_CHANNELS: tuple[str, ...] = (
    Channel.IN_PERSON,
    Channel.HOME_VISIT,
    Channel.CERTIFICATE,
    Channel.REMOTE_ASSISTED,
)
ENTRY_CHANNEL_CHOICES: list[tuple[str, StrOrPromise]] = [
    (value, label) for value, label in Channel.choices if value in ENTRY_CHANNELS
]
# The session key that remembers the officer's last channel: a home-visit round certifies many in a row.
SESSION_CHANNEL_KEY = "certification_entry_channel"


def channel_details(data: Mapping[str, Any]) -> dict[str, Any]:
    """The extra field of the chosen channel only, for certify(): a visitor name typed before switching to
    in person, say, is dropped rather than stored with a record it does not describe."""
    channel = data["channel"]
    return {
        "visitor_name": data.get("visitor_name", "") if channel == Channel.HOME_VISIT else "",
        "document": data.get("document") if channel == Channel.CERTIFICATE else None,
        "certifying_office": data.get("certifying_office", "") if channel == Channel.REMOTE_ASSISTED else "",
    }


def document_max_bytes() -> int:
    return settings.CERTIFICATION_DOCUMENT_MAX_BYTES


def validate_certificate_scan(upload: File[bytes]) -> None:
    """A committee or hospital certificate scan: a PDF, JPG or PNG file (by its content), not too large."""
    limit = document_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("证明材料扫描件不能超过 %(mb)s MB。") % {"mb": round(limit / 1024 / 1024, 1)},
            code="too_large",
        )
    if scan_kind(upload) is None:
        raise ValidationError(_("证明材料扫描件应为 PDF、JPG 或 PNG 文件。"), code="bad_type")


class ScanForm(forms.Form):
    """The scan box: an ID card reader types the number and presses Enter, like a keyboard."""

    id_number = forms.CharField(
        label=gettext_lazy("身份证号码"),
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg font-monospace",
                "autocomplete": "off",
                "autofocus": True,
                "spellcheck": "false",
                "placeholder": gettext_lazy("刷身份证或输入18位(或15位)身份证号码后按回车"),
            }
        ),
    )


class CertifyForm(forms.Form):
    """The certify form on the card. `retiree` is the card's retiree, checked again against the scope."""

    retiree = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label=gettext_lazy("认证方式"),
        choices=ENTRY_CHANNEL_CHOICES,
        initial=Channel.IN_PERSON,
        widget=forms.RadioSelect,
    )
    visitor_name = forms.CharField(label=gettext_lazy("上门人员"), max_length=50, required=False)
    document = forms.FileField(
        label=gettext_lazy("证明材料扫描件"),
        required=False,
        validators=[validate_certificate_scan],
        help_text=gettext_lazy("村(居)委会或医院出具的证明,PDF、JPG 或 PNG"),
    )
    certifying_office = forms.CharField(label=gettext_lazy("协助认证机构"), max_length=100, required=False)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("visitor_name", "certifying_office", "note"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["document"].widget.attrs.update(
            {"class": "form-control form-control-sm", "accept": ".pdf,.jpg,.jpeg,.png"}
        )
        self.fields["channel"].widget.attrs["class"] = "form-check-input"
