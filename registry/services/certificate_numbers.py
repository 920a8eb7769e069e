"""The benefit certificate's number (待遇证号); the printed certificate is registry.pdfs.certificate.

Numbers follow settings.CERTIFICATE_NUMBER_PATTERN ("{county_code}{year}{sequence:05d}") with a sequence per
year kept in CertificateSequence. See docs/intake.md for how a year starts and why a number is never reused.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from ..models import CertificateSequence, OrgUnit, Retiree


@dataclass(frozen=True)
class _Pattern:
    """The configured pattern split around its {sequence} field."""

    prefix: str
    suffix: str
    sequence_spec: str

    def render(self, sequence: int) -> str:
        return f"{self.prefix}{format(sequence, self.sequence_spec)}{self.suffix}"

    def regex(self) -> re.Pattern[str]:
        return re.compile(f"^{re.escape(self.prefix)}(\\d+){re.escape(self.suffix)}$")


def _pattern(*, county_code: str, year: int) -> _Pattern:
    """Fill in everything but the sequence, so existing numbers of the year can be recognised."""
    prefix: list[str] = []
    suffix: list[str] = []
    spec: str | None = None
    values = {"county_code": county_code, "year": year}
    for literal, field, format_spec, conversion in string.Formatter().parse(
        settings.CERTIFICATE_NUMBER_PATTERN
    ):
        target = prefix if spec is None else suffix
        target.append(literal)
        if field is None:
            continue
        if field == "sequence":
            if spec is not None:
                raise ValueError("CERTIFICATE_NUMBER_PATTERN names {sequence} twice")
            spec = format_spec or "d"
            continue
        if field not in values:
            raise ValueError(f"CERTIFICATE_NUMBER_PATTERN: unknown field {{{field}}}")
        value = values[field]
        target.append(format(str(value) if conversion == "s" else value, format_spec or ""))
    if spec is None:
        raise ValueError("CERTIFICATE_NUMBER_PATTERN must contain {sequence}")
    return _Pattern(prefix="".join(prefix), suffix="".join(suffix), sequence_spec=spec)


def _highest_existing(pattern: _Pattern) -> int:
    """The highest sequence of this year's pattern already held by someone (imported people keep the numbers
    the old system gave them)."""
    matcher = pattern.regex()
    candidates: QuerySet[Retiree] = Retiree.objects.filter(certificate_number__startswith=pattern.prefix)
    if pattern.suffix:
        candidates = candidates.filter(certificate_number__endswith=pattern.suffix)
    highest = 0
    for number in candidates.values_list("certificate_number", flat=True).iterator(chunk_size=5000):
        match = matcher.match(number or "")
        if match:
            highest = max(highest, int(match.group(1)))
    return highest


def county_code_of(community: OrgUnit) -> str:
    """The code of the county bureau above a community (community → township → county)."""
    unit: OrgUnit | None = community
    while unit is not None and unit.kind != OrgUnit.Kind.COUNTY:
        unit = unit.parent
    if unit is None:
        raise ValueError(f"org unit {community.pk} has no county above it")
    return unit.code


def certificate_number_take(*, county_code: str, year: int) -> str:
    """The next certificate number of `year`. Call inside the transaction that stores it: if that
    transaction rolls back, so does the sequence, and a refused intake consumes no number."""
    pattern = _pattern(county_code=county_code, year=year)
    # The year's first intake creates the row. ON CONFLICT DO NOTHING lets two first intakes race safely:
    # one inserts, the other finds the row and waits on its lock below.
    CertificateSequence.objects.bulk_create(
        [CertificateSequence(year=year, last_number=_highest_existing(pattern))], ignore_conflicts=True
    )
    # The row lock stops two clerks' intakes from reading the same last_number and issuing one number twice;
    # the second waits until the first commits (or rolls back) and then reads the number the first left.
    sequence = CertificateSequence.objects.select_for_update().get(year=year)
    number = sequence.last_number + 1
    # A bulk import after the year's first intake may have brought in numbers above the sequence: step over
    # them rather than collide with the unique constraint.
    while Retiree.objects.filter(certificate_number=pattern.render(number)).exists():
        number += 1
    sequence.last_number = number
    sequence.save(update_fields=["last_number"])
    return pattern.render(number)
