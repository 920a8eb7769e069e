"""What the claim parameters add to the county-wide audit log (registry.selectors.audit_log): every setting of
the funeral allowance, N or the published county average, and every clearing of the latter, with who, when,
old → new and the basis. They decide what families are paid, so the auditor sees them though the page is the
admin's. Registered from BenefitsConfig.ready(), because the registry may not import benefits."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.formats import yuan
from registry.selectors.audit_log import (
    AuditLogRow,
    AuditSource,
    masked_text,
    register_audit_source,
    staff_name,
)

from ..models import BenefitParameter

Kind = BenefitParameter.Kind
_LABEL = gettext_lazy("丧葬抚恤参数设置")
# After the deaths' (110–112) and the claims' (83) sources: a unique rank orders rows of the same moment.
RANK = 115


def _shown(kind: str, value: Decimal | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if kind == Kind.COMPENSATION_MONTHS else yuan(value)


def _with_previous() -> QuerySet[BenefitParameter]:
    earlier = BenefitParameter.objects.filter(kind=OuterRef("kind"), year=OuterRef("year")).filter(
        Q(set_at__lt=OuterRef("set_at")) | Q(set_at=OuterRef("set_at"), id__lt=OuterRef("id"))
    )
    return BenefitParameter.objects.select_related("set_by").annotate(
        previous=Subquery(earlier.order_by("-set_at", "-id").values("value")[:1])
    )


def _row(row: BenefitParameter) -> AuditLogRow:
    previous = getattr(row, "previous", None)
    cleared = row.value is None
    return AuditLogRow(
        at=row.set_at,
        kind="benefit_parameter",
        kind_label=str(_LABEL),
        pk=row.pk,
        who=staff_name(row.set_by),
        action=_("清除") if cleared else _("设置"),
        subject=_("%(year)d 年%(kind)s:%(old)s → %(new)s")
        % {
            "year": row.year,
            "kind": row.get_kind_display(),
            "old": _shown(row.kind, previous),
            "new": _("清除") if cleared else _shown(row.kind, row.value),
        },
        note=masked_text(row.note),
        # No link: the log's reader, the auditor, may not open the admin's page; the row says it all.
    )


def register() -> None:
    register_audit_source(
        AuditSource(
            kind="benefit_parameter",
            label=_LABEL,
            rank=RANK,
            queryset=_with_previous,
            time_field="set_at",
            staff_field="set_by_id",
            retiree_field=None,
            row=_row,
        )
    )
