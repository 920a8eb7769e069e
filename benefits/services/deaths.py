"""The death registration (死亡登记) with maker-checker (docs/deaths.md).

reported (a township officer, for their township) → pending (a clerk records it with the documents: new,
completing a township report, or from a deaths-list match) → confirmed (a reviewer who did not record it:
the retiree becomes deceased and the money is settled at once) or rejected (the clerk may record anew);
confirmed → corrected (the person is alive: status, recovery and withheld months given back).

The retiree's status changes through registry.services (the life-event door), the money through
pensions.services.after_death; nothing here writes their tables.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import DeathMatch
from pensions.selectors.deaths import DeathMonths, MonthAmount, death_months
from pensions.selectors.recoveries import recoveries_with_balance
from pensions.services.after_death import (
    AfterDeathSettlement,
    after_death_settle,
    death_correction_release,
)
from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.models import ArrearsItem, Recovery, Retiree, Staff
from registry.selectors.changes import as_month
from registry.services import (
    death_date_check,
    recovery_cancel,
    retiree_death_correct,
    retiree_record_death,
)
from registry.uploads import scanned_document_problem

from ..errors import BenefitError
from ..models import DeathRegistration, SurvivorClaim

Status = DeathRegistration.Status
OPEN_STATUSES = (Status.REPORTED, Status.PENDING, Status.CONFIRMED)
DOCUMENT_FIELDS = ("cremation_certificate", "burial_certificate", "deceased_id_copy", "reporter_id_copy")
_LIVING = (Retiree.Status.ACTIVE, Retiree.Status.SUSPENDED)


def _text(value: str, *, field: str, limit: int, label: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise BenefitError(_("请填写%(label)s。") % {"label": label}, field=field)
    if len(value) > limit:
        raise BenefitError(
            _("%(label)s不能超过 %(limit)d 个字。") % {"label": label, "limit": limit}, field=field
        )
    return value


def _visible(by: Staff, retiree: Retiree) -> None:
    if not access.retirees_visible_to(by).filter(pk=retiree.pk).exists():
        raise BenefitError(_("该退休人员不在您的管辖范围内。"), field="retiree")


def _death_date(retiree: Retiree, died_on: datetime.date | None) -> datetime.date:
    """The registry's own check of a date of death (not in the future, not before retirement)."""
    try:
        return death_date_check(retiree=retiree, died_on=died_on)
    except DomainError as error:
        raise BenefitError(error.message, field="died_on") from None


def _living(retiree: Retiree) -> None:
    if retiree.status not in _LIVING:
        raise BenefitError(
            _("%(name)s 的状态为“%(status)s”,不能登记死亡。")
            % {"name": retiree.name, "status": Retiree.Status(retiree.status).label},
            field="retiree",
        )


def _no_other_open(retiree: Retiree, *, besides: int | None = None) -> None:
    others = DeathRegistration.objects.filter(retiree=retiree, status__in=OPEN_STATUSES)
    if besides is not None:
        others = others.exclude(pk=besides)
    if other := others.first():
        raise BenefitError(
            _("%(name)s 已有一条“%(status)s”的死亡登记,不能重复登记。")
            % {"name": retiree.name, "status": Status(other.status).label},
            field="retiree",
        )


def _save_new(registration: DeathRegistration) -> DeathRegistration:
    """Insert, turning the one-open-registration constraint (two clerks at the same moment) into a
    refusal."""
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as error:
        if "deathregistration_one_open_per_retiree" not in str(error):
            raise
        raise BenefitError(_("该退休人员已有死亡登记,不能重复登记。"), field="retiree") from None
    return registration


@transaction.atomic
def death_report(
    *,
    retiree: Retiree,
    died_on: datetime.date | None,
    reporter_name: str = "",
    reporter_relation: str = "",
    reporter_phone: str = "",
    note: str = "",
    by: Staff,
) -> DeathRegistration:
    """A township officer reports the death of a retiree of their own township (status reported). The
    county's clerk completes it with the documents (death_registration_record)."""
    access.require(by, Action.CERTIFY)
    _visible(by, retiree)
    # Lock the retiree: two reports (or a report and a clerk's record) of the same death at the same moment.
    locked = Retiree.objects.select_for_update().get(pk=retiree.pk)
    _living(locked)
    died_on = _death_date(locked, died_on)
    _no_other_open(locked)
    now = timezone.now()
    return _save_new(
        DeathRegistration(
            retiree=locked,
            died_on=died_on,
            source=DeathRegistration.Source.TOWNSHIP,
            reporter_name=_text(reporter_name, field="reporter_name", limit=50, label=_("报告人")),
            reporter_relation=_text(
                reporter_relation, field="reporter_relation", limit=20, label=_("与死者关系")
            ),
            reporter_phone=_text(reporter_phone, field="reporter_phone", limit=30, label=_("报告人电话")),
            note=_text(note, field="note", limit=300, label=_("说明")),
            status=Status.REPORTED,
            reported_by=by,
            reported_at=now,
        )
    )


def _documents(documents: Mapping[str, UploadedFile[bytes] | None] | None) -> dict[str, Any]:
    """The optional scans, each checked by its content (registry.uploads, the change requests' check)."""
    checked: dict[str, Any] = {}
    for field, upload in (documents or {}).items():
        if field not in DOCUMENT_FIELDS:
            raise ValueError(f"unknown document field {field}")
        if upload is None or not upload.name:
            continue
        if problem := scanned_document_problem(upload):
            raise BenefitError(problem, field=field)
        checked[field] = upload
    return checked


@transaction.atomic
def death_registration_record(
    *,
    by: Staff,
    died_on: datetime.date | None,
    retiree: Retiree | None = None,
    report: DeathRegistration | None = None,
    death_match: DeathMatch | None = None,
    reporter_name: str = "",
    reporter_relation: str = "",
    reporter_phone: str = "",
    note: str = "",
    documents: Mapping[str, UploadedFile[bytes] | None] | None = None,
) -> DeathRegistration:
    """A clerk records a death (status pending, for a reviewer to confirm): a new one reported by the family
    at the counter (`retiree`), a township report completed (`report`), or a death found in a deaths list
    (`death_match`, pending or confirmed there). A second open registration for the same retiree is
    refused (and the database refuses it too)."""
    access.require(by, Action.EDIT_REGISTRY)
    if sum(item is not None for item in (retiree, report, death_match)) != 1:
        raise ValueError("give exactly one of retiree, report, death_match")
    if report is not None:
        retiree = report.retiree
        source = DeathRegistration.Source.TOWNSHIP
    elif death_match is not None:
        retiree = death_match.retiree
        source = DeathRegistration.Source.DEATHS_LIST
    elif retiree is not None:
        source = DeathRegistration.Source.FAMILY
    else:
        raise ValueError("give exactly one of retiree, report, death_match")
    _visible(by, retiree)
    # Lock the retiree first (then the report): two clerks recording the same death wait for each other,
    # and the second finds the first one's registration.
    locked = Retiree.objects.select_for_update().get(pk=retiree.pk)
    _living(locked)
    died_on = _death_date(locked, died_on)
    fields: dict[str, Any] = {
        "died_on": died_on,
        "reporter_name": _text(reporter_name, field="reporter_name", limit=50, label=_("报告人")),
        "reporter_relation": _text(
            reporter_relation, field="reporter_relation", limit=20, label=_("与死者关系")
        ),
        "reporter_phone": _text(reporter_phone, field="reporter_phone", limit=30, label=_("报告人电话")),
        "note": _text(note, field="note", limit=300, label=_("说明")),
        "status": Status.PENDING,
        "recorded_by": by,
        "recorded_at": timezone.now(),
        **_documents(documents),
    }
    if report is not None:
        registration = DeathRegistration.objects.select_for_update().get(pk=report.pk)
        if registration.status != Status.REPORTED:
            raise BenefitError(
                _("该报告已是“%(status)s”状态,不能再登记。") % {"status": registration.get_status_display()}
            )
        _no_other_open(locked, besides=registration.pk)
        for name, value in fields.items():
            setattr(registration, name, value)
        registration.save(update_fields=list(fields))
        return registration
    if death_match is not None:
        match = DeathMatch.objects.select_for_update().get(pk=death_match.pk)
        if match.status == DeathMatch.Status.DISMISSED:
            raise BenefitError(_("该死亡比对记录已排除,不能据此登记死亡。"), field="death_match")
    _no_other_open(locked)
    return _save_new(DeathRegistration(retiree=locked, source=source, death_match=death_match, **fields))


@dataclass(frozen=True)
class DeathFigures:
    """What the reviewer was shown before confirming: the months to be recovered and their total. The
    confirmation compares them with the months under the lock, so a plan approved (or a line returned
    failed) in between is never confirmed on figures nobody saw."""

    recovered_months: tuple[str, ...]
    recovered_total: Decimal

    @classmethod
    def of(cls, months: DeathMonths) -> DeathFigures:
        return cls(
            recovered_months=tuple(str(item.month) for item in months.recovered),
            recovered_total=months.recovered_total,
        )


def death_registration_preview(*, registration: DeathRegistration) -> DeathMonths:
    """What confirming would do to money (read only): the confirmation dialog shows it."""
    return death_months(retiree=registration.retiree, died_on=registration.died_on)


def _months_json(items: tuple[MonthAmount, ...]) -> list[dict[str, str]]:
    return [{"month": str(item.month), "amount": str(item.amount)} for item in items]


def _settlement_json(settled: AfterDeathSettlement) -> dict[str, Any]:
    months = settled.months
    return {
        "death_month": str(months.death_month),
        "recovered": _months_json(months.recovered),
        "recovered_total": str(months.recovered_total),
        "failed_not_due": _months_json(months.failed_not_due),
        "withheld_payable": _months_json(months.withheld_payable),
        "withheld_total": str(months.withheld_total),
        "unpaid_due": _months_json(months.unpaid_due),
        "arrears_payable": _months_json(months.arrears_payable),
        "failed_payable": _months_json(months.failed_payable),
        "unpaid_total": str(months.unpaid_total),
        "dropped": _months_json((*months.withheld_dropped, *months.arrears_dropped)),
        "dropped_total": str(months.dropped_total),
    }


def _decider_check(registration: DeathRegistration, by: Staff, *, confirming: bool) -> None:
    if registration.recorded_by_id == by.pk:
        raise BenefitError(
            _("您登记了这条死亡信息,不能确认,请由其他复核人员办理。")
            if confirming
            else _("您登记了这条死亡信息,不能退回,请由其他复核人员办理。")
        )


def _lock(registration: DeathRegistration, by: Staff, action: Action) -> DeathRegistration:
    access.require(by, action)
    _visible(by, registration.retiree)
    # Lock the registration: two reviewers confirming at once would both read "pending" and settle the
    # money twice; the second waits here and then finds it confirmed.
    return DeathRegistration.objects.select_for_update().select_related("retiree").get(pk=registration.pk)


def _copy(target: DeathRegistration, source: DeathRegistration) -> DeathRegistration:
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


@transaction.atomic
def death_registration_confirm(
    *, registration: DeathRegistration, by: Staff, seen: DeathFigures | None = None
) -> DeathRegistration:
    """A reviewer who did not record it confirms the death. Atomically: the retiree becomes deceased with
    the date of death (registry), the months after the death month are recovered and the failed ones
    stopped (pensions.after_death_settle), and what was done is stored on the registration for the death
    tab. Draft plans are made again after the commit (pensions listens to the life event); a submitted
    plan that pays the person is refused until it is made again. `seen`: the figures the dialog showed."""
    locked = _lock(registration, by, Action.APPROVE_CHANGES)
    if locked.status != Status.PENDING:
        raise BenefitError(
            _("该死亡登记已是“%(status)s”状态,不能确认。") % {"status": locked.get_status_display()}
        )
    _decider_check(locked, by, confirming=True)
    retiree = Retiree.objects.select_for_update().get(pk=locked.retiree_id)
    _living(retiree)
    if seen is not None and DeathFigures.of(death_months(retiree=retiree, died_on=locked.died_on)) != seen:
        raise BenefitError(
            _(
                "确认前显示的死亡后多发月份或金额已有变化(期间有发放计划审批或银行回盘),请核对最新结果后再确认。"
            ),
            field="seen",
        )
    try:
        retiree_record_death(
            retiree=retiree,
            died_on=locked.died_on,
            reason=_("死亡登记确认(%(source)s)") % {"source": locked.get_source_display()},
            by=by,
        )
    except DomainError as error:
        raise BenefitError(error.message, field="died_on") from None
    settled = after_death_settle(retiree=retiree, died_on=locked.died_on, by=by)
    locked.status = Status.CONFIRMED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.recovery = settled.recovery
    locked.settlement = _settlement_json(settled)
    locked.save(update_fields=["status", "decided_by", "decided_at", "recovery", "settlement"])
    return _copy(registration, locked)


@transaction.atomic
def death_registration_reject(
    *, registration: DeathRegistration, reason: str, by: Staff
) -> DeathRegistration:
    """A reviewer who did not record it sends it back, saying why; the clerk may record the death anew."""
    reason = _text(reason, field="reason", limit=300, label=_("退回原因"), required=True)
    locked = _lock(registration, by, Action.APPROVE_CHANGES)
    if locked.status != Status.PENDING:
        raise BenefitError(
            _("该死亡登记已是“%(status)s”状态,不能退回。") % {"status": locked.get_status_display()}
        )
    _decider_check(locked, by, confirming=False)
    locked.status = Status.REJECTED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.decision_note = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return _copy(registration, locked)


def _items_json(items: tuple[ArrearsItem, ...]) -> list[dict[str, str]]:
    return [{"month": str(as_month(item.month)), "amount": str(item.amount)} for item in items]


def _claim_cancel(claim: SurvivorClaim) -> None:
    """A draft or submitted claim of a death that did not happen is cancelled (the claims' own services
    never see a corrected death). Approved and paid claims are refused before this is called."""
    SurvivorClaim.objects.filter(
        pk=claim.pk, status__in=(SurvivorClaim.Status.DRAFT, SurvivorClaim.Status.SUBMITTED)
    ).update(status=SurvivorClaim.Status.CANCELLED)


def _money_recorded(recovery: Recovery) -> bool:
    row: Any = recoveries_with_balance(Recovery.objects.filter(pk=recovery.pk)).get()
    return any(
        row_value > 0
        for row_value in (row.deducted, row.refunded, row.clawed_back, row.offset, row.written_off)
    )


@transaction.atomic
def death_registration_correct(
    *, registration: DeathRegistration, reason: str, by: Staff
) -> DeathRegistration:
    """The person is alive: a wrong death corrected by a reviewer or the admin. Refused once the family's
    claim is approved or paid, or once money was recorded against the after-death recovery. Atomically: the
    retiree is active again (registry), the recovery cancelled, the months not paid while recorded deceased
    and the withheld months released once (pensions.death_correction_release), a draft or submitted claim
    cancelled."""
    reason = _text(reason, field="reason", limit=200, label=_("更正原因"), required=True)
    locked = _lock(registration, by, Action.APPROVE_CHANGES)
    if locked.status != Status.CONFIRMED:
        raise BenefitError(
            _("只有已确认的死亡登记可以更正,该登记为“%(status)s”。") % {"status": locked.get_status_display()}
        )
    retiree = Retiree.objects.select_for_update().get(pk=locked.retiree_id)
    claim = SurvivorClaim.objects.select_for_update().filter(registration=locked).first()
    if claim is not None and claim.status in (SurvivorClaim.Status.APPROVED, SurvivorClaim.Status.PAID):
        raise BenefitError(
            _("丧葬抚恤待遇已“%(status)s”,不能更正死亡登记。") % {"status": claim.get_status_display()}
        )
    recovery = None
    if locked.recovery_id is not None:
        recovery = Recovery.objects.select_for_update().get(pk=locked.recovery_id)
        if recovery.status != Recovery.Status.OPEN or _money_recorded(recovery):
            raise BenefitError(_("死亡后多发追回项已有退款、银行退回、抵扣或核销记录,不能更正死亡登记。"))
    try:
        retiree_death_correct(
            retiree=retiree, reason=_("误报死亡更正:%(reason)s") % {"reason": reason}, by=by
        )
    except DomainError as error:
        raise BenefitError(error.message) from None
    if recovery is not None:
        recovery_cancel(recovery=recovery, note=_("误报死亡更正,撤销追回"))
    if claim is not None:
        _claim_cancel(claim)
    release = death_correction_release(retiree=retiree, died_on=locked.died_on, by=by)
    locked.status = Status.CORRECTED
    locked.corrected_by, locked.corrected_at = by, timezone.now()
    locked.correction_reason = reason
    locked.settlement = {
        **locked.settlement,
        "correction": {
            "unpaid": _items_json(release.unpaid),
            "reissued": _items_json(release.reissued),
            "withheld": _items_json(release.withheld),
            "total": str(release.total),
        },
    }
    locked.save(update_fields=["status", "corrected_by", "corrected_at", "correction_reason", "settlement"])
    return _copy(registration, locked)
