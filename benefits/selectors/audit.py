"""What deaths add to the county-wide audit log (registry.selectors.audit_log): every death registration
recorded, confirmed or rejected, and corrected. Registered from BenefitsConfig.ready(), because the registry
may not import benefits."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.formats import yuan
from registry.selectors.audit_log import (
    AuditLogRow,
    AuditSource,
    masked_text,
    register_audit_source,
    retiree_text,
    staff_name,
)

from ..models import DeathRegistration

_RECORDED_LABEL = gettext_lazy("死亡登记")
_DECIDED_LABEL = gettext_lazy("死亡登记复核")
_CORRECTED_LABEL = gettext_lazy("死亡登记更正")
Status = DeathRegistration.Status


def _subject(registration: DeathRegistration) -> str:
    return _("死亡日期 %(date)s(%(source)s)") % {
        "date": registration.died_on.isoformat(),
        "source": registration.get_source_display(),
    }


def _recorded_row(registration: DeathRegistration) -> AuditLogRow:
    return AuditLogRow(
        # Only recorded registrations are listed (the queryset), so recorded_at is set.
        at=registration.recorded_at or registration.reported_at,  # type: ignore[arg-type]
        kind="death_recorded",
        kind_label=str(_RECORDED_LABEL),
        pk=registration.pk,
        who=staff_name(registration.recorded_by),
        action=_("登记死亡"),
        subject=_subject(registration),
        retiree=retiree_text(registration.retiree),
        note=masked_text(registration.note),
        url=reverse("death-detail", args=[registration.pk]),
    )


def _decided_row(registration: DeathRegistration) -> AuditLogRow:
    confirmed = registration.status != Status.REJECTED
    recovered = (registration.settlement or {}).get("recovered_total")
    subject = _subject(registration)
    if confirmed and recovered and recovered != "0.00":
        subject += _(",死亡后多发追回 %(amount)s") % {"amount": yuan(recovered)}
    return AuditLogRow(
        at=registration.decided_at,  # type: ignore[arg-type]
        kind="death_decided",
        kind_label=str(_DECIDED_LABEL),
        pk=registration.pk,
        who=staff_name(registration.decided_by),
        action=_("确认死亡") if confirmed else _("退回死亡登记"),
        subject=subject,
        retiree=retiree_text(registration.retiree),
        note=masked_text(registration.decision_note),
        url=reverse("death-detail", args=[registration.pk]),
    )


def _corrected_row(registration: DeathRegistration) -> AuditLogRow:
    return AuditLogRow(
        at=registration.corrected_at,  # type: ignore[arg-type]
        kind="death_corrected",
        kind_label=str(_CORRECTED_LABEL),
        pk=registration.pk,
        who=staff_name(registration.corrected_by),
        action=_("更正误报死亡"),
        subject=_subject(registration),
        retiree=retiree_text(registration.retiree),
        note=masked_text(registration.correction_reason),
        url=reverse("death-detail", args=[registration.pk]),
    )


def register() -> None:
    register_audit_source(
        AuditSource(
            kind="death_recorded",
            label=_RECORDED_LABEL,
            rank=110,
            queryset=lambda: DeathRegistration.objects.filter(recorded_at__isnull=False).select_related(
                "recorded_by", "retiree"
            ),
            time_field="recorded_at",
            staff_field="recorded_by_id",
            retiree_field="retiree",
            row=_recorded_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="death_decided",
            label=_DECIDED_LABEL,
            rank=111,
            queryset=lambda: DeathRegistration.objects.filter(decided_at__isnull=False).select_related(
                "decided_by", "retiree"
            ),
            time_field="decided_at",
            staff_field="decided_by_id",
            retiree_field="retiree",
            row=_decided_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="death_corrected",
            label=_CORRECTED_LABEL,
            rank=112,
            queryset=lambda: DeathRegistration.objects.filter(corrected_at__isnull=False).select_related(
                "corrected_by", "retiree"
            ),
            time_field="corrected_at",
            staff_field="corrected_by_id",
            retiree_field="retiree",
            row=_corrected_row,
        )
    )
