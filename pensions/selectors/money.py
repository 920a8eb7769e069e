"""Reads of funding, bank files and return files for pages and the API. QuerySets, never writes."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from ..models import BankFile, Funding, PayoutLine, PayoutPlan


def plan_fundings(*, plan: PayoutPlan) -> QuerySet[Funding]:
    return Funding.objects.filter(plan=plan).select_related("bank", "recorded_by").order_by("bank__code")


def plan_bank_files(*, plan: PayoutPlan) -> QuerySet[BankFile]:
    """The plan's bank files without their bytes (a file can be a hundred megabytes), each with its return
    file (absent: `hasattr(file, "return_file")` is False) and how often it was downloaded."""
    return (
        BankFile.objects.filter(plan=plan)
        .defer("content")
        .select_related("bank", "created_by", "return_file", "return_file__imported_by")
        .defer("return_file__content")
        .annotate(download_count=Count("downloads"))
        .order_by("bank__code")
    )


def plan_failed_lines(*, plan: PayoutPlan) -> QuerySet[PayoutLine]:
    """Lines the bank failed, with what was done about each (failure_resolution, or none yet)."""
    return (
        PayoutLine.objects.filter(plan=plan, payment_status=PayoutLine.PaymentStatus.FAILED)
        .select_related("bank", "township", "failure_resolution", "failure_resolution__arrears_item")
        .order_by("bank__code", "id")
    )
