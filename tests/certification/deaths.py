"""A death a clerk confirmed from a deaths list, as the imports leave it (for tests of what it refuses)."""

from __future__ import annotations

from django.utils import timezone

from certification.models import CertificationImport, DeathMatch
from registry.models import Retiree, Staff


def confirmed_death(retiree: Retiree, *, by: Staff) -> DeathMatch:
    deaths = CertificationImport.objects.create(
        kind=CertificationImport.Kind.DEATHS,
        year=2026,
        file="certification/imports/deaths.csv",
        original_name="deaths.csv",
        uploaded_by=by,
    )
    return DeathMatch.objects.create(
        source_import=deaths,
        retiree=retiree,
        reported_name=retiree.name,
        status=DeathMatch.Status.CONFIRMED,
        decided_by=by,
        decided_at=timezone.now(),
    )
