"""Plain steps for the claim tests: months paid by approved plans, the year's parameters and a claim prepared
by the clerk (the confirmed death itself comes from the death services: tests/benefits/deaths_flow.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from benefits.models import BenefitParameter, DeathRegistration, SurvivorClaim
from benefits.services.claims import ClaimApplicant, claim_prepare
from pensions.models import PayoutPlan
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.models import Staff
from registry.months import PensionMonth
from tests.factories import make_id_number

SH = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
APPLICANT_ID = make_id_number(datetime.date(1968, 5, 17))


def pay_month(county: Any, month: PensionMonth) -> PayoutPlan:
    """The month's plan drafted, submitted and approved (approved plans are what paid a month)."""
    with time_machine.travel(datetime.datetime(month.year, month.month, 5, 9, 0, tzinfo=SH), tick=False):
        plan = plan_draft(month=month, by=county.clerk)
        plan_submit(plan=plan, by=county.clerk)
        plan_approve(plan=plan, by=county.reviewer)
    plan.refresh_from_db()
    return plan


def set_parameters(
    admin: Staff,
    *,
    year: int = 2026,
    funeral: str = "4000.00",
    months: str = "10",
    published: str | None = "3200.00",
) -> None:
    now = timezone.now()
    kind = BenefitParameter.Kind
    rows = [(kind.FUNERAL_ALLOWANCE, year, funeral), (kind.COMPENSATION_MONTHS, year, months)]
    if published is not None:
        rows.append((kind.PUBLISHED_AVERAGE, year - 1, published))
    for k, y, value in rows:
        BenefitParameter.objects.create(kind=k, year=y, value=Decimal(value), set_by=admin, set_at=now)


def applicant(bank_id: int, *, consent: str = "") -> ClaimApplicant:
    return ClaimApplicant(
        name="张小明",
        relation="子女",
        id_number=APPLICANT_ID,
        phone="13907970001",
        bank_id=bank_id,
        account_number="6217001234567890123",
        holder_name="张小明",
        offset_consent=consent,
    )


def scan(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def prepare(registration: DeathRegistration, by: Staff, bank_id: int, *, consent: str = "") -> SurvivorClaim:
    return claim_prepare(
        registration=registration,
        applicant=applicant(bank_id, consent=consent),
        applicant_id_copy=scan("applicant-id.pdf"),
        relation_proof=scan("relation.pdf"),
        by=by,
    )
