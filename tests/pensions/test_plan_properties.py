"""Property: on any small population, stored totals equal the sums of the lines to the fen, every line adds
up, and regenerating never releases an arrears item or deducts a recovery twice."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pensions.models import ArrearsRelease, PayoutLine, PlanTotal, RecoveryDeduction
from pensions.services import plan_draft
from registry.models import ArrearsItem, Recovery, Retiree

from .conftest import NOV, M, arrears, recovery

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("9999.99"), places=2)
positive = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000.00"), places=2)
person = st.fixed_dictionaries(
    {
        "status": st.sampled_from(list(Retiree.Status)),
        "rate": money,
        "bank": st.sampled_from(["psbc", "rcc", "ccb", None]),
        "community": st.sampled_from(["community_a1", "community_a2", "community_b1"]),
        "arrears": st.lists(positive, max_size=2),
        "recoveries": st.lists(positive, max_size=2),
    }
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, max_size=8), share=st.sampled_from(["0", "0.3", "0.5", "1"]))
def test_totals_equal_the_lines_to_the_fen(county, enrol, people, share):
    # hypothesis reuses the test's database for every example: each one runs in a savepoint rolled back
    with override_settings(RECOVERY_MAX_SHARE=Decimal(share)), transaction.atomic():
        check_population(county, enrol, people, Decimal(share))
        transaction.set_rollback(True)


def check_population(county, enrol, people, share):
    for spec in people:
        retiree = enrol(
            status=spec["status"],
            rates=[(M(2018, 4), str(spec["rate"]))],
            bank=spec["bank"],
            community=getattr(county, spec["community"]),
        )
        for amount in spec["arrears"]:
            arrears(retiree, M(2026, 10), str(amount), county.clerk)
        for amount in spec["recoveries"]:
            recovery(retiree, str(amount), county.clerk)

    plan_draft(month=NOV, by=county.clerk)
    plan = plan_draft(month=NOV, by=county.clerk)

    lines = PayoutLine.objects.filter(plan=plan)
    payable = [s for s in people if s["status"] in ("active", "suspended")]
    assert lines.count() == len(payable) == plan.line_count
    fields = ["regular", "arrears", "deduction", "withheld", "net"]
    for kind in ("bank", "township"):
        fresh = {
            row[kind]: tuple(row[f] for f in fields)
            for row in lines.values(kind).annotate(**{f: Sum(f) for f in fields})
        }
        stored = {
            row[kind]: tuple(row[f"{f}_total"] for f in fields)
            for row in PlanTotal.objects.filter(plan=plan, kind=kind).values(
                kind, *[f"{f}_total" for f in fields]
            )
        }
        assert stored == fresh
    overall = lines.aggregate(**{f: Sum(f) for f in fields})
    assert [overall[f] or Decimal("0.00") for f in fields] == [getattr(plan, f"{f}_total") for f in fields]
    for line in lines:
        assert line.net >= 0
        if line.is_withheld:
            assert (line.net, line.withheld, line.arrears, line.deduction) == (0, line.regular, 0, 0)
            continue
        assert line.net == line.regular + line.arrears - line.deduction
        assert line.deduction <= (line.regular * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        deducted = RecoveryDeduction.objects.filter(line=line).aggregate(s=Sum("amount"))["s"]
        assert (deducted or Decimal("0.00")) == line.deduction
        released = ArrearsItem.objects.filter(release__line=line).aggregate(s=Sum("amount"))["s"]
        assert (released or Decimal("0.00")) == line.arrears
    # every active paid line took all its pending arrears; nothing was released twice (one-to-one)
    assert (
        ArrearsRelease.objects.count()
        == ArrearsItem.objects.filter(retiree__status="active", release__isnull=False).count()
    )
    for owed in Recovery.objects.all():
        taken = owed.deductions.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        assert taken <= owed.amount
        assert owed.status == ("settled" if taken == owed.amount else "open")
