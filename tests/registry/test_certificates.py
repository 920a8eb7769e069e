"""The benefit certificate: its number pattern and the printed A5 PDF."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from registry.models import CertificatePrint, CertificateSequence, SensitiveView
from registry.services import retiree_intake
from registry.services.certificate_numbers import _pattern, certificate_number_take
from tests.conftest import County
from tests.pdfs import pdf_fonts, pdf_info, pdf_text
from tests.registry.test_intake_services import NOW, intake_data, png_upload


def test_pattern_is_configurable(settings) -> None:
    settings.CERTIFICATE_NUMBER_PATTERN = "DYZ-{county_code}-{year}-{sequence:04d}"
    pattern = _pattern(county_code="360721", year=2026)
    assert pattern.render(7) == "DYZ-360721-2026-0007"
    match = pattern.regex().match("DYZ-360721-2026-0417")
    assert match is not None and match.group(1) == "0417"


def test_numbers_of_another_pattern_do_not_start_the_year(county: County, settings) -> None:
    settings.CERTIFICATE_NUMBER_PATTERN = "{county_code}{year}{sequence:05d}X"
    county.retiree_b1.certificate_number = "36072120260099"  # no X: not this pattern
    county.retiree_b1.save(update_fields=["certificate_number"])
    assert certificate_number_take(county_code="360721", year=2026) == "360721202600001X"
    assert CertificateSequence.objects.get(year=2026).last_number == 1


@pytest.fixture
def certificate(county: County, tmp_path: Path):
    with time_machine.travel(NOW, tick=False):
        retiree = retiree_intake(
            data=intake_data(county, name="欧阳䶮", employer_name="示范县第一机械厂"),
            photo=png_upload(size=(250, 350)),
            agent_proof=None,
            by=county.clerk,
        )
        client = Client()
        client.force_login(county.clerk)
        response = client.get(reverse("retiree-certificate", args=[retiree.pk]))
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    # Keep a copy to look at: CERTIFICATE_PREVIEW=/tmp/cert.pdf pytest tests/registry/test_certificates.py
    if os.environ.get("CERTIFICATE_PREVIEW"):
        shutil.copy(path, os.environ["CERTIFICATE_PREVIEW"])
    return retiree, response, path


def test_certificate_is_one_a5_page_with_name_and_number(certificate) -> None:
    retiree, response, path = certificate
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    fields = pdf_info(path)
    assert fields["Pages"] == "1"
    # A5 is 148 × 210 mm = 419.53 × 595.28 pt.
    assert fields["Page size"].startswith("419.528 x 595.276 pts")
    text = pdf_text(path, layout=True)
    assert "欧阳䶮" in text
    assert "360721202600001" in text
    assert retiree.id_number in text
    assert "示范县社保局" in text
    assert "3,125.40" in text
    assert "基本养老保险待遇证" in text


def test_printing_records_the_full_id_viewing(certificate, county: County) -> None:
    retiree, _, _ = certificate
    assert list(SensitiveView.objects.filter(retiree=retiree).values_list("staff", "field")) == [
        (county.clerk.pk, "id_number")
    ]


def test_certificate_font_is_embedded(certificate) -> None:
    _, _, path = certificate
    fonts = pdf_fonts(path)
    assert "Noto-Sans-CJK-SC" in fonts


# Printing is registry work (EDIT_REGISTRY): the clerk and the admin. Reviewer and auditor see full numbers
# through the recorded reveal, never by printing the person's certificate; a record outside the township
# officer's scope is 404 before any role check.
@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("clerk", 200),
        ("admin", 200),
        ("reviewer", 403),
        ("auditor", 403),
        ("officer_a", 403),
        ("officer_b", 404),
    ],
)
def test_who_may_print(county: County, username: str, status: int) -> None:
    county.retiree_a1.certificate_number = "360721201800001"
    county.retiree_a1.save(update_fields=["certificate_number"])
    client = Client()
    staff = county.staff_by_role()[username]
    client.force_login(staff)
    before = SensitiveView.objects.count()
    response = client.get(reverse("retiree-certificate", args=[county.retiree_a1.pk]))
    assert response.status_code == status
    assert SensitiveView.objects.count() == before + (1 if status == 200 else 0)
    expected = [(staff.pk, "360721201800001", "page")] if status == 200 else []
    assert (
        list(
            CertificatePrint.objects.filter(retiree=county.retiree_a1).values_list(
                "printed_by", "certificate_number", "channel"
            )
        )
        == expected
    )


def test_no_certificate_number_no_pdf(county: County) -> None:
    client = Client()
    client.force_login(county.clerk)
    response = client.get(reverse("retiree-certificate", args=[county.retiree_a1.pk]))
    assert response.status_code == 404
    assert not SensitiveView.objects.exists()
    assert not CertificatePrint.objects.exists()
