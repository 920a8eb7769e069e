"""The summary table of a year's adjustment for the HR bureau (调待汇总表): by township, the people adjusted,
the old monthly total, the monthly rise, the new monthly total and the arrears, with a total row that adds up
and the count of exceptions left unadjusted. One A4 landscape page, rendered in the request. Before the apply
it shows the dry run's figures and says 试算 in its title."""

from __future__ import annotations

import datetime

from django.utils import timezone

from registry.pdfs.rendering import render_pdf
from registry.selectors import county_name

from ..selectors.adjustment_notices import AdjustmentSummary


def adjustment_summary_pdf(*, summary: AdjustmentSummary, dated: datetime.date | None = None) -> bytes:
    return render_pdf(
        template="pensions/adjustments/summary_pdf.html",
        context={
            "s": summary,
            "run": summary.run,
            "parameters": summary.run.parameters,
            "bureau": county_name(),
            "dated": dated or timezone.localdate(),
        },
    )
