"""Model fields of the registry's own value types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .months import PensionMonth

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PensionMonthFormField(forms.CharField):
    default_error_messages = {"invalid": _("请按“年-月”填写月份,例如 2026-04。")}

    def to_python(self, value: Any) -> PensionMonth | None:  # type: ignore[override]  # a month, not str
        text = super().to_python(value)
        if not text:
            return None
        try:
            return PensionMonth.parse(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return str(PensionMonth.from_number(value))
        return str(value) if isinstance(value, PensionMonth) else value


class PensionMonthField(models.IntegerField):
    """Stores a PensionMonth as the integer yyyymm (202604)."""

    description = _("月份(年月)")

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> PensionMonth | None:
        return None if value is None else PensionMonth.from_number(value)

    def to_python(self, value: Any) -> PensionMonth | None:
        if value is None or isinstance(value, PensionMonth):
            return value
        try:
            if isinstance(value, int):
                return PensionMonth.from_number(value)
            return PensionMonth.parse(str(value))
        except ValueError:
            raise ValidationError(
                _("无效的月份:%(value)s"), code="invalid", params={"value": value}
            ) from None

    def get_prep_value(self, value: Any) -> int | None:
        value = self.to_python(value)
        return None if value is None else value.number

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> Any:
        return super(models.IntegerField, self).formfield(**{"form_class": PensionMonthFormField, **kwargs})


def money_field(verbose_name: StrOrPromise, **kwargs: Any) -> models.DecimalField:
    """Yuan to the fen: numeric(12,2), the one place money precision is decided (docs/domain.md "Money
    rules")."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)
