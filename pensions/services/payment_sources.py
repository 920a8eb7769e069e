"""What a bank file pays: a monthly payout plan or a one-off batch (docs/one-off-payments.md).

Funding, bank-file export and return-file import are one code path for both (pensions.services.funding,
.bank_files, .returns). What differs is behind `PaymentSource`: which lines are paid per bank and what each
bank's total is, the batch reference the files carry, how the bank's answer is written onto the lines, and
the state machine's steps. Plan references stay `P{plan}L{line}` (plan bank files are unchanged byte for
byte); one-off payments carry `B{batch}P{payment}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import pghistory
from django.db import connection
from django.db.models import Sum
from django.utils.translation import gettext as _

from registry.models import Bank, Staff

from ..bankfiles import PaymentLine, ReturnLine, one_off_reference, payment_reference
from ..models import BankFile, OneOffBatch, OneOffPayment, PayoutLine, PayoutPlan, PlanTotal
from ..one_off_kinds import one_off_kind
from . import recovery_follow_up
from .one_off import one_off_batch_mark_exported, one_off_batch_mark_funded, one_off_batch_mark_reconciled
from .transitions import plan_mark_exported, plan_mark_funded, plan_mark_reconciled


class PaymentSource(Protocol):
    """A plan or a batch, as funding, export and return import see it."""

    @property
    def pk(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def month(self) -> object:
        """The month, for messages and file names (a PensionMonth; the stubs see the field's int)."""
        ...

    @property
    def title(self) -> str:
        """ "2026-11 发放计划", "2026-11 一次性支付批次"."""
        ...

    @property
    def kind_label(self) -> str:
        """ "发放计划" or "一次性支付批次"; `short_label`: "计划" or "批次"."""
        ...

    @property
    def short_label(self) -> str: ...

    @property
    def batch_reference(self) -> str:
        """The RenderContext batch: "P12" for plan 12, "B3" for batch 3."""
        ...

    @property
    def file_seq(self) -> int:
        """The file name's {seq}: plans 1, batches 2, so a month's two files for one bank differ."""
        ...

    def locked(self) -> PaymentSource:
        """The same source read again under a row lock (the caller is in a transaction)."""
        ...

    def owner(self) -> dict[str, Any]:
        """The BankFile / Funding keyword that ties a row to this source."""
        ...

    def bank_totals(self) -> dict[int, tuple[Bank, Decimal]]:
        """Each bank paying anything, with the total its transfer and its file must carry."""
        ...

    def payment_lines(self, *, bank_id: int | None = None) -> dict[int, list[PaymentLine]]:
        """The payments per bank as snapshots, in a fixed order: the lines of the export and the lines a
        return file is matched against."""
        ...

    def mark_results(
        self, *, bank_id: int, sent: Sequence[PaymentLine], failed: Sequence[ReturnLine], by: Staff
    ) -> int:
        """Mark every sent line paid, or failed with the bank's reason; only lines still pending, never an
        amount. Returns how many were marked."""
        ...

    def mark_funded(self, *, by: Staff, reason: str) -> None: ...

    def mark_exported(self, *, by: Staff, reason: str) -> None: ...

    def mark_reconciled(self, *, by: Staff, reason: str) -> None: ...


def _reasons(failed: Sequence[ReturnLine]) -> list[str]:
    return [" ".join(part for part in (line.status, line.reason.strip()) if part)[:200] for line in failed]


# ---- a monthly plan

# One statement for all of a bank file's lines: the failed ones take the bank's reason, the rest are paid.
# Only the payment result is written; the amounts are not in the SET list.
_MARK_PLAN_LINES = """
UPDATE pensions_payoutline AS line
   SET payment_status = CASE WHEN failed.reason IS NULL THEN %(paid)s ELSE %(failed)s END,
       bank_reason = coalesce(failed.reason, '')
  FROM unnest(%(ids)s::bigint[]) AS sent(id)
  LEFT JOIN unnest(%(failed_ids)s::bigint[], %(reasons)s::text[]) AS failed(id, reason) ON failed.id = sent.id
 WHERE line.id = sent.id AND line.plan_id = %(plan)s AND line.bank_id = %(bank)s
   AND line.payment_status = %(pending)s
"""


@dataclass(frozen=True)
class PlanSource:
    plan: PayoutPlan

    @property
    def pk(self) -> int:
        return self.plan.pk

    @property
    def status(self) -> str:
        return self.plan.status

    @property
    def month(self) -> object:
        return self.plan.month

    @property
    def title(self) -> str:
        return _("%(month)s 发放计划") % {"month": self.plan.month}

    @property
    def kind_label(self) -> str:
        return _("发放计划")

    @property
    def short_label(self) -> str:
        return _("计划")

    @property
    def batch_reference(self) -> str:
        return f"P{self.plan.pk}"

    @property
    def file_seq(self) -> int:
        return 1

    def locked(self) -> PlanSource:
        return PlanSource(PayoutPlan.objects.select_for_update().get(pk=self.plan.pk))

    def owner(self) -> dict[str, Any]:
        return {"plan": self.plan}

    def bank_totals(self) -> dict[int, tuple[Bank, Decimal]]:
        totals: dict[int, tuple[Bank, Decimal]] = {}
        for row in PlanTotal.objects.filter(
            plan=self.plan, kind=PlanTotal.Kind.BANK, bank__isnull=False, net_total__gt=0
        ).select_related("bank"):
            assert row.bank is not None  # noqa: S101  # filtered to totals with a bank
            totals[row.bank.pk] = (row.bank, row.net_total)
        return totals

    def payment_lines(self, *, bank_id: int | None = None) -> dict[int, list[PaymentLine]]:
        """The non-withheld lines with net > 0; they cannot change after approval (plan_mark_exported checks
        their hash)."""
        lines = PayoutLine.objects.filter(plan=self.plan, is_withheld=False, net__gt=0)
        if bank_id is not None:
            lines = lines.filter(bank_id=bank_id)
        rows = (
            lines.order_by("bank_id", "id")
            .values_list(
                "id", "bank_id", "name", "holder_name", "id_number", "account_number", "net", "township__name"
            )
            .iterator(chunk_size=10_000)
        )
        out: dict[int, list[PaymentLine]] = {}
        plan_id = self.plan.pk
        for line_id, line_bank, name, holder_name, id_number, account_number, net, township in rows:
            out.setdefault(line_bank, []).append(
                PaymentLine(
                    reference=payment_reference(plan_id=plan_id, line_id=line_id),
                    # The account's holder name is what the bank checks; it is the retiree's name as a rule.
                    name=holder_name or name,
                    id_number=id_number,
                    account_number=account_number,
                    amount=net,
                    township=township,
                )
            )
        return out

    def _line_id(self, reference: str) -> int:
        return int(reference.removeprefix(f"P{self.plan.pk}L"))

    def mark_results(
        self, *, bank_id: int, sent: Sequence[PaymentLine], failed: Sequence[ReturnLine], by: Staff
    ) -> int:
        failed_ids = [self._line_id(line.reference) for line in failed]
        with pghistory.context(source="return_file_import", user=by.pk), connection.cursor() as cursor:
            cursor.execute(
                _MARK_PLAN_LINES,
                {
                    "ids": [self._line_id(line.reference) for line in sent],
                    "failed_ids": failed_ids,
                    "reasons": _reasons(failed),
                    "paid": PayoutLine.PaymentStatus.PAID,
                    "failed": PayoutLine.PaymentStatus.FAILED,
                    "pending": PayoutLine.PaymentStatus.PENDING,
                    "plan": self.plan.pk,
                    "bank": bank_id,
                },
            )
            marked = int(cursor.rowcount)
        # Months after a death that the bank failed to pay: not owed, never re-issued (docs/recoveries.md).
        recovery_follow_up.after_death_failed_lines_settle(line_ids=failed_ids, by=by)
        return marked

    def mark_funded(self, *, by: Staff, reason: str) -> None:
        plan_mark_funded(plan=self.plan, by=by, reason=reason)

    def mark_exported(self, *, by: Staff, reason: str) -> None:
        plan_mark_exported(plan=self.plan, by=by, reason=reason)

    def mark_reconciled(self, *, by: Staff, reason: str) -> None:
        plan_mark_reconciled(plan=self.plan, by=by, reason=reason)


# ---- a one-off batch


@dataclass(frozen=True)
class BatchSource:
    batch: OneOffBatch

    @property
    def pk(self) -> int:
        return self.batch.pk

    @property
    def status(self) -> str:
        return self.batch.status

    @property
    def month(self) -> object:
        return self.batch.month

    @property
    def title(self) -> str:
        return _("%(month)s 一次性支付批次") % {"month": self.batch.month}

    @property
    def kind_label(self) -> str:
        return _("一次性支付批次")

    @property
    def short_label(self) -> str:
        return _("批次")

    @property
    def batch_reference(self) -> str:
        return f"B{self.batch.pk}"

    @property
    def file_seq(self) -> int:
        return 2

    def locked(self) -> BatchSource:
        return BatchSource(OneOffBatch.objects.select_for_update().get(pk=self.batch.pk))

    def owner(self) -> dict[str, Any]:
        return {"one_off_batch": self.batch}

    def bank_totals(self) -> dict[int, tuple[Bank, Decimal]]:
        """From the payments themselves: they are frozen at submission (their digest is checked at every
        later move), so these sums are what the approver saw, bank by bank."""
        sums = (
            OneOffPayment.objects.filter(batch=self.batch)
            .values("bank_id")
            .annotate(total=Sum("amount"))
            .order_by("bank_id")
        )
        banks = Bank.objects.in_bulk([row["bank_id"] for row in sums])
        return {row["bank_id"]: (banks[row["bank_id"]], row["total"]) for row in sums}

    def payment_lines(self, *, bank_id: int | None = None) -> dict[int, list[PaymentLine]]:
        payments = OneOffPayment.objects.filter(batch=self.batch)
        if bank_id is not None:
            payments = payments.filter(bank_id=bank_id)
        rows = payments.order_by("bank_id", "id").values_list(
            "id", "bank_id", "payee_name", "holder_name", "payee_id_number", "account_number", "amount",
            "township__name",
        )  # fmt: skip
        out: dict[int, list[PaymentLine]] = {}
        batch_id = self.batch.pk
        for (
            payment_id,
            payment_bank,
            payee_name,
            holder_name,
            id_number,
            account_number,
            amount,
            township,
        ) in rows:
            out.setdefault(payment_bank, []).append(
                PaymentLine(
                    reference=one_off_reference(batch_id=batch_id, payment_id=payment_id),
                    name=holder_name or payee_name,
                    id_number=id_number,
                    account_number=account_number,
                    amount=amount,
                    township=township,
                )
            )
        return out

    def _payment_id(self, reference: str) -> int:
        return int(reference.removeprefix(f"B{self.batch.pk}P"))

    def mark_results(
        self, *, bank_id: int, sent: Sequence[PaymentLine], failed: Sequence[ReturnLine], by: Staff
    ) -> int:
        """A batch holds a few payments: each is marked by the ORM, and the kind that asked for it (a death
        claim) hears the result in the same transaction (pensions.one_off_kinds)."""
        failed_reasons = dict(
            zip((self._payment_id(line.reference) for line in failed), _reasons(failed), strict=True)
        )
        sent_ids = [self._payment_id(line.reference) for line in sent]
        status = OneOffPayment.PaymentStatus
        with pghistory.context(source="return_file_import", user=by.pk):
            pending = OneOffPayment.objects.filter(
                batch=self.batch, bank_id=bank_id, pk__in=sent_ids, payment_status=status.PENDING
            )
            marked = pending.exclude(pk__in=failed_reasons).update(payment_status=status.PAID, bank_reason="")
            for payment_id, reason in failed_reasons.items():
                marked += pending.filter(pk=payment_id).update(
                    payment_status=status.FAILED, bank_reason=reason
                )
        if marked == len(sent_ids):
            for payment in OneOffPayment.objects.filter(pk__in=sent_ids).order_by("id"):
                kind = one_off_kind(payment.kind)
                if kind is not None:
                    kind.on_result(payment)
        return marked

    def mark_funded(self, *, by: Staff, reason: str) -> None:
        one_off_batch_mark_funded(batch=self.batch, by=by, reason=reason)

    def mark_exported(self, *, by: Staff, reason: str) -> None:
        one_off_batch_mark_exported(batch=self.batch, by=by, reason=reason)

    def mark_reconciled(self, *, by: Staff, reason: str) -> None:
        one_off_batch_mark_reconciled(batch=self.batch, by=by, reason=reason)


def payment_source_of(bank_file: BankFile) -> PaymentSource:
    """The plan or batch a bank file pays (bankfile_of_plan_or_batch: exactly one of the two)."""
    if bank_file.plan_id is not None:
        return PlanSource(PayoutPlan.objects.get(pk=bank_file.plan_id))
    assert bank_file.one_off_batch_id is not None  # noqa: S101  # bankfile_of_plan_or_batch
    return BatchSource(OneOffBatch.objects.get(pk=bank_file.one_off_batch_id))
