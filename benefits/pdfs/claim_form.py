"""The claim's approval form (丧葬抚恤费审批表): the A4 sheet the clerk, the reviewer and the head sign. Every
figure comes from the claim's stored computation and its months (benefits.selectors.claims), which add up to
the total the database checks (survivorclaim_total_adds_up). Numbers are masked: the form is filed on
paper."""

from __future__ import annotations

from django.utils import timezone

from pensions.pdfs.funding_request import rmb_upper
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import OrgUnit
from registry.pdfs.rendering import render_pdf

from ..models import SurvivorClaim
from ..selectors.claims import claim_breakdown, claim_transitions


def claim_form_pdf(*, claim: SurvivorClaim) -> bytes:
    registration = claim.registration
    retiree = registration.retiree
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    breakdown = claim_breakdown(claim=claim)
    submitted = claim_transitions(claim=claim).filter(to_status=SurvivorClaim.Status.SUBMITTED).last()
    context = {
        "claim": claim,
        "registration": registration,
        "retiree": retiree,
        "township": retiree.community.parent.name if retiree.community.parent else "",
        "id_masked": mask_resident_id(retiree.id_number),
        "applicant_id_masked": mask_resident_id(claim.applicant_id_number),
        "account_masked": mask_account_number(claim.account_number),
        "withheld_months": [m for m in breakdown.months if m.part == "withheld"],
        "unpaid_months": [m for m in breakdown.months if m.part == "unpaid"],
        "total_upper": rmb_upper(claim.total),
        "county_name": county.name if county else "",
        "submitted_at": submitted.at if submitted else None,
        "printed_on": timezone.localdate(),
    }
    return render_pdf(template="benefits/claim_form_pdf.html", context=context)
