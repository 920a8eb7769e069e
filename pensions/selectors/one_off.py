"""Reads of one-off payment batches for the pages, the API and the approvals inbox: the batches, their
payments with the totals by bank and by township (summed from the payments, which are frozen once
submitted), the history, fundings and bank files. The pages are the payout pages' (PLAN_VIEWER_ACTIONS):
county-wide money work, not a township's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from registry import access
from registry.access import Action
from registry.models import Bank, OrgUnit
from registry.selectors import unit_sort_key

from ..models import BankFile, Funding, OneOffBatch, OneOffBatchTransition, OneOffPayment


def one_off_batch_list() -> QuerySet[OneOffBatch]:
    """Every batch, the newest month first, with who submitted and approved it."""
    return OneOffBatch.objects.select_related("submitted_by", "approved_by").order_by("-month")


def one_off_batch_get_or_404(*, pk: int) -> OneOffBatch:
    batch = one_off_batch_list().filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def one_off_batch_payments(*, batch: OneOffBatch) -> QuerySet[OneOffPayment]:
    """The batch's payments in bank order, with what re-issued them (reissue) or what they re-issue."""
    return (
        OneOffPayment.objects.filter(batch=batch)
        .select_related("bank", "township", "retiree", "reissue_of__batch", "reissue__batch")
        .order_by("bank__code", "id")
    )


def one_off_batch_transitions(*, batch: OneOffBatch) -> QuerySet[OneOffBatchTransition]:
    return batch.transitions.select_related("by").order_by("at", "id")


def one_off_batch_fundings(*, batch: OneOffBatch) -> QuerySet[Funding]:
    return (
        Funding.objects.filter(one_off_batch=batch)
        .select_related("bank", "recorded_by")
        .order_by("bank__code")
    )


def one_off_batch_bank_files(*, batch: OneOffBatch) -> QuerySet[BankFile]:
    """The batch's bank files without their bytes, each with its return file and its download count."""
    return (
        BankFile.objects.filter(one_off_batch=batch)
        .defer("content")
        .select_related("bank", "created_by", "return_file", "return_file__imported_by")
        .defer("return_file__content")
        .annotate(download_count=Count("downloads"))
        .order_by("bank__code")
    )


def one_off_batches_awaiting(*, user: Any) -> QuerySet[OneOffBatch]:
    """Submitted batches this staff member may approve: APPROVE_PAYMENTS, and never their own submission."""
    if not access.can(user, Action.APPROVE_PAYMENTS):
        return OneOffBatch.objects.none()
    return (
        OneOffBatch.objects.filter(status=OneOffBatch.Status.SUBMITTED)
        .exclude(submitted_by=user)
        .order_by("submitted_at", "id")
    )


@dataclass(frozen=True)
class BatchTotalRow:
    key_id: int
    code: str
    name: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class BatchTotals:
    """The batch's count and total by bank and by township, and overall; each list adds up to the overall
    figures (`adds_up` says whether they also equal the batch's stored count and total)."""

    banks: list[BatchTotalRow]
    townships: list[BatchTotalRow]
    count: int
    total: Decimal
    adds_up: bool


def one_off_batch_totals(*, batch: OneOffBatch) -> BatchTotals:
    payments = OneOffPayment.objects.filter(batch=batch)
    by_bank = payments.values("bank_id").annotate(count=Count("id"), total=Sum("amount"))
    by_township = payments.values("township_id").annotate(count=Count("id"), total=Sum("amount"))
    banks = Bank.objects.in_bulk([row["bank_id"] for row in by_bank])
    townships = OrgUnit.objects.in_bulk([row["township_id"] for row in by_township])
    bank_rows = sorted(
        (
            BatchTotalRow(
                key_id=row["bank_id"],
                code=banks[row["bank_id"]].code,
                name=banks[row["bank_id"]].name,
                count=row["count"],
                total=row["total"],
            )
            for row in by_bank
        ),
        key=lambda row: row.code,
    )
    township_rows = sorted(
        (
            BatchTotalRow(
                key_id=row["township_id"],
                code=townships[row["township_id"]].code,
                name=townships[row["township_id"]].name,
                count=row["count"],
                total=row["total"],
            )
            for row in by_township
        ),
        key=lambda row: unit_sort_key(townships[row.key_id]),
    )
    count = sum(row.count for row in bank_rows)
    total = sum((row.total for row in bank_rows), Decimal("0.00"))
    adds_up = (
        count == sum(row.count for row in township_rows) == batch.payment_count
        and total == sum((row.total for row in township_rows), Decimal("0.00")) == batch.total
    )
    return BatchTotals(banks=bank_rows, townships=township_rows, count=count, total=total, adds_up=adds_up)
