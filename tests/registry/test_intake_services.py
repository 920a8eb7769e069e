"""Intake of a newly retired person: what a full intake writes, and every refusal writing nothing."""

from __future__ import annotations

import datetime
import io
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from registry.errors import IntakeError
from registry.id_numbers import check_character
from registry.models import (
    Agent,
    ArrearsItem,
    BankAccount,
    CertificateSequence,
    Employer,
    ManagementFeeReceipt,
    PensionRate,
    Retiree,
    RetireeSearchKey,
)
from registry.months import PensionMonth
from registry.services import IntakeData, intake_check, retiree_intake
from tests.conftest import County
from tests.factories import BankFactory, EmployerFactory, RetireeFactory, make_id_number

# After the plan day (10): April's plan is made, the first open month is May.
NOW = datetime.datetime(2026, 4, 20, 9, 30, tzinfo=datetime.UTC)
BORN = datetime.date(1966, 1, 10)


def fresh_id(birth: datetime.date = BORN, *, male: bool = True) -> str:
    return make_id_number(birth, area="360721", male=male)


def png_upload(
    name: str = "photo.png", *, fmt: str = "PNG", size: tuple[int, int] = (60, 80)
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(buffer, format=fmt)
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def pdf_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n% village committee letter\n", "application/pdf")


def intake_data(county: County, **overrides: Any) -> IntakeData:
    bank = BankFactory.create()
    values: dict[str, Any] = {
        "name": "赵 立 新",
        "id_number": fresh_id(),
        "phone": "13800138000",
        "address": "城关镇东街12号",
        "community_id": county.community_a1.pk,
        "employer_name": "示范县农机厂",
        "work_start_date": datetime.date(1985, 7, 1),
        "retirement_date": datetime.date(2026, 1, 15),
        "contribution_months": 420,
        "initial_amount": Decimal("3125.40"),
        "bank_id": bank.pk,
        "account_number": "6221880012345678",
        "fee_receipt_number": "TG2026-0001",
        "fee_paid_on": datetime.date(2026, 4, 20),
    }
    values.update(overrides)
    return IntakeData(**values)


def counts() -> dict[str, int]:
    models = (
        Retiree,
        PensionRate,
        BankAccount,
        Agent,
        ManagementFeeReceipt,
        ArrearsItem,
        Employer,
        RetireeSearchKey,
        CertificateSequence,
    )
    result = {model.__name__: model.objects.count() for model in models}
    result["sequence"] = sum(CertificateSequence.objects.values_list("last_number", flat=True))
    return result


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("frozen")
class TestFullIntake:
    def test_writes_exactly_the_expected_rows(self, county: County) -> None:
        data = intake_data(
            county,
            agent_name="赵小红",
            agent_id_number=fresh_id(datetime.date(1990, 5, 2), male=False),
            agent_relation="女儿",
            agent_phone="13900139000",
        )
        before = counts()

        retiree = retiree_intake(data=data, photo=png_upload(), agent_proof=pdf_upload(), by=county.clerk)

        retiree.refresh_from_db()
        assert retiree.name == "赵立新"
        assert retiree.id_number == data.id_number
        assert retiree.sex == "M"
        assert retiree.birth_date == BORN
        assert retiree.certificate_number == "360721202600001"
        assert retiree.regular_payment_from == PensionMonth(2026, 5)
        assert retiree.employer is not None and retiree.employer.name == "示范县农机厂"
        assert str(retiree.photo.name).startswith("photos/2026/photo-")
        assert retiree.status == Retiree.Status.ACTIVE

        rates = list(retiree.rates.values_list("amount", "effective_month", "reason"))
        assert rates == [(Decimal("3125.40"), PensionMonth(2026, 2), PensionRate.Reason.INITIAL)]
        account = retiree.bank_accounts.get()
        assert (account.account_number, account.holder_name, account.is_current) == (
            "6221880012345678",
            "赵立新",
            True,
        )
        assert account.created_by == county.clerk
        agent = retiree.agents.get()
        assert (agent.name, agent.relation, agent.is_current) == ("赵小红", "女儿", True)
        assert str(agent.proof_document.name).startswith("agents/2026/proof-")
        receipt = retiree.fee_receipts.get()
        assert (receipt.amount, receipt.receipt_number, receipt.paid_on, receipt.received_by) == (
            Decimal("150.00"),
            "TG2026-0001",
            datetime.date(2026, 4, 20),
            county.clerk,
        )
        arrears = list(retiree.arrears.values_list("month", "amount", "reason"))
        assert arrears == [
            (PensionMonth(2026, 2), Decimal("3125.40"), ArrearsItem.Reason.INTAKE),
            (PensionMonth(2026, 3), Decimal("3125.40"), ArrearsItem.Reason.INTAKE),
            (PensionMonth(2026, 4), Decimal("3125.40"), ArrearsItem.Reason.INTAKE),
        ]
        assert set(retiree.search_keys.filter(kind="p").values_list("key", flat=True)) >= {"zhaolixin"}
        assert CertificateSequence.objects.get(year=2026).last_number == 1

        after = counts()
        assert {key: after[key] - before[key] for key in after} == {
            "Retiree": 1,
            "PensionRate": 1,
            "BankAccount": 1,
            "Agent": 1,
            "ManagementFeeReceipt": 1,
            "ArrearsItem": 3,
            "Employer": 1,
            "RetireeSearchKey": retiree.search_keys.count(),
            "CertificateSequence": 1,
            "sequence": 1,
        }

    def test_fifteen_digit_id_is_converted_and_kept(self, county: County) -> None:
        retiree = retiree_intake(
            data=intake_data(county, id_number="360721660110123"),
            photo=None,
            agent_proof=None,
            by=county.clerk,
        )
        first17 = "36072119660110123"
        assert retiree.id_number == first17 + check_character(first17)
        assert retiree.id_number_original == "360721660110123"
        assert retiree.sex == "M"

    def test_existing_employer_and_remote_residence(self, county: County) -> None:
        employer = EmployerFactory.create(name="示范县纺织厂")
        retiree = retiree_intake(
            data=intake_data(
                county,
                employer_id=employer.pk,
                employer_name="",
                residence=Retiree.Residence.REMOTE,
                remote_province="广东省",
                remote_city="深圳市",
                remote_address="南山区科技园1号",
                holder_name="赵立新",
                fee_amount=Decimal("0.00"),
            ),
            photo=None,
            agent_proof=None,
            by=county.clerk,
        )
        assert retiree.employer == employer
        assert (retiree.residence, retiree.remote_city, retiree.community) == (
            "remote",
            "深圳市",
            county.community_a1,
        )
        assert retiree.fee_receipts.get().amount == Decimal("0.00")

    def test_retirement_in_the_open_month_makes_no_arrears(self, county: County) -> None:
        # Retired in April: entitled from May, which no plan has been made for yet.
        retiree = retiree_intake(
            data=intake_data(county, retirement_date=datetime.date(2026, 4, 3)),
            photo=None,
            agent_proof=None,
            by=county.clerk,
        )
        assert retiree.arrears.count() == 0
        assert retiree.regular_payment_from == PensionMonth(2026, 5)
        assert retiree.rates.get().effective_month == PensionMonth(2026, 5)

    def test_before_the_plan_day_the_current_month_is_still_open(self, county: County) -> None:
        with time_machine.travel(datetime.datetime(2026, 4, 5, 9, tzinfo=datetime.UTC), tick=False):
            plan = intake_check(
                data=intake_data(county, fee_paid_on=datetime.date(2026, 4, 5)),
                photo=None,
                agent_proof=None,
                by=county.clerk,
            )
        assert plan.arrears_months == (PensionMonth(2026, 2), PensionMonth(2026, 3))
        assert plan.arrears_total == Decimal("6250.80")
        assert plan.regular_payment_from == PensionMonth(2026, 4)

    def test_two_intakes_get_consecutive_numbers(self, county: County) -> None:
        first = retiree_intake(data=intake_data(county), photo=None, agent_proof=None, by=county.clerk)
        second = retiree_intake(
            data=intake_data(
                county,
                name="钱芳",
                id_number=fresh_id(male=False),
                fee_receipt_number="TG2026-0002",
                account_number="6221880012340000",
            ),
            photo=None,
            agent_proof=None,
            by=county.admin,
        )
        assert (first.certificate_number, second.certificate_number) == ("360721202600001", "360721202600002")

    def test_sequence_starts_above_an_imported_number(self, county: County) -> None:
        RetireeFactory.create(community=county.community_b1, certificate_number="360721202600417")
        RetireeFactory.create(community=county.community_b1, certificate_number="360721202509999")
        retiree = retiree_intake(data=intake_data(county), photo=None, agent_proof=None, by=county.clerk)
        assert retiree.certificate_number == "360721202600418"
        assert CertificateSequence.objects.get(year=2026).last_number == 418

    def test_a_number_imported_after_the_year_started_is_stepped_over(self, county: County) -> None:
        retiree_intake(data=intake_data(county), photo=None, agent_proof=None, by=county.clerk)
        RetireeFactory.create(community=county.community_b1, certificate_number="360721202600002")
        retiree = retiree_intake(
            data=intake_data(county, id_number=fresh_id(), fee_receipt_number="TG2026-0009"),
            photo=None,
            agent_proof=None,
            by=county.clerk,
        )
        assert retiree.certificate_number == "360721202600003"


def _refused(
    county: County, data: IntakeData, *, photo: Any = None, proof: Any = None, by: Any = None
) -> IntakeError:
    before = counts()
    with pytest.raises(IntakeError) as caught:
        retiree_intake(data=data, photo=photo, agent_proof=proof, by=by or county.clerk)
    assert counts() == before
    return caught.value


@pytest.mark.usefixtures("frozen")
class TestRefusals:
    def test_duplicate_id_names_the_existing_record(self, county: County) -> None:
        existing = county.retiree_a2
        error = _refused(county, intake_data(county, id_number=existing.id_number.lower()))
        assert error.field == "id_number"
        assert error.existing_retiree_id == existing.pk
        assert existing.name in error.message
        assert existing.masked_id_number in error.message
        assert "城关镇" in error.message and "西街社区" in error.message

    def test_duplicate_of_a_converted_fifteen_digit_id(self, county: County) -> None:
        retiree_intake(
            data=intake_data(county, id_number="360721660110123"),
            photo=None,
            agent_proof=None,
            by=county.clerk,
        )
        error = _refused(county, intake_data(county, id_number="360721660110123", fee_receipt_number="X-2"))
        assert error.field == "id_number"

    def test_bad_check_character(self, county: County) -> None:
        number = fresh_id()
        wrong = "0" if number[-1] != "0" else "1"
        error = _refused(county, intake_data(county, id_number=number[:17] + wrong))
        assert error.field == "id_number"
        assert "校验位错误" in error.message and number[-1] in error.message

    def test_bad_birth_date_in_the_id(self, county: County) -> None:
        first17 = "36072119660231001"
        error = _refused(county, intake_data(county, id_number=first17 + check_character(first17)))
        assert (error.field, "19660231" in error.message) == ("id_number", True)

    @pytest.mark.parametrize(
        ("overrides", "field", "words"),
        [
            ({"sex": "F"}, "sex", "性别与身份证号码不符"),
            ({"birth_date": datetime.date(1966, 1, 11)}, "birth_date", "1966-01-10"),
            ({"name": "  "}, "name", "请填写姓名"),
            ({"name": "赵1新"}, "name", "“1”"),
            ({"phone": "call me"}, "phone", "联系电话"),
            ({"community_id": None}, "community_id", "请选择所属社区"),
            ({"residence": "remote"}, "remote_province", "异地居住须填写居住省份"),
            ({"employer_name": ""}, "employer_name", "原单位"),
            ({"employer_id": 999999, "employer_name": ""}, "employer_id", "原单位不存在"),
            ({"retirement_date": datetime.date(2026, 4, 21)}, "retirement_date", "在今天之后"),
            ({"retirement_date": datetime.date(2005, 12, 31)}, "retirement_date", "不足40年"),
            ({"work_start_date": datetime.date(2026, 2, 1)}, "work_start_date", "参加工作时间"),
            ({"contribution_months": -1}, "contribution_months", "缴费月数"),
            ({"initial_amount": Decimal("0")}, "initial_amount", "必须大于0"),
            ({"initial_amount": Decimal("-5.00")}, "initial_amount", "必须大于0"),
            ({"initial_amount": Decimal("3125.405")}, "initial_amount", "两位小数"),
            ({"bank_id": None}, "bank_id", "请选择发放银行"),
            ({"account_number": "6221-8800"}, "account_number", "8至32位数字"),
            ({"account_number": "1234567"}, "account_number", "8至32位数字"),
            ({"holder_name": "A\\B"}, "holder_name", "户名"),
            ({"agent_name": "赵小红"}, "agent_id_number", "代办人身份证号码"),
            (
                {"agent_name": "赵小红", "agent_id_number": "360721199005021235", "agent_relation": "女儿"},
                "agent_id_number",
                "校验位",
            ),
            ({"fee_receipt_number": " "}, "fee_receipt_number", "收据号"),
            ({"fee_amount": Decimal("-1.00")}, "fee_amount", "退管费金额"),
            ({"fee_paid_on": datetime.date(2026, 4, 21)}, "fee_paid_on", "缴费日期"),
        ],
    )
    def test_bad_input_writes_nothing(
        self, county: County, overrides: dict[str, Any], field: str, words: str
    ) -> None:
        error = _refused(county, intake_data(county, **overrides))
        assert error.field == field
        assert words in error.message

    def test_agent_without_proof(self, county: County) -> None:
        data = intake_data(
            county,
            agent_name="赵小红",
            agent_id_number=fresh_id(datetime.date(1990, 5, 2)),
            agent_relation="女儿",
        )
        error = _refused(county, data)
        assert (error.field, "委托证明" in error.message) == ("agent_proof", True)

    def test_proof_that_is_neither_pdf_nor_image(self, county: County) -> None:
        data = intake_data(
            county,
            agent_name="赵小红",
            agent_id_number=fresh_id(datetime.date(1990, 5, 2)),
            agent_relation="女儿",
        )
        error = _refused(county, data, proof=SimpleUploadedFile("letter.pdf", b"MZ\x90\x00 not a pdf"))
        assert error.field == "agent_proof"

    def test_photo_that_is_not_an_image(self, county: County) -> None:
        error = _refused(
            county, intake_data(county), photo=SimpleUploadedFile("photo.jpg", b"GIF89a not really")
        )
        assert (error.field, error.message) == ("photo", "照片应为 JPG 或 PNG 图片。")

    def test_photo_in_another_format(self, county: County) -> None:
        error = _refused(county, intake_data(county), photo=png_upload("photo.gif", fmt="GIF"))
        assert error.field == "photo"

    def test_photo_too_large(self, county: County, settings: Any) -> None:
        settings.INTAKE_PHOTO_MAX_BYTES = 100
        error = _refused(county, intake_data(county), photo=png_upload(size=(400, 400)))
        assert (error.field, "照片不能超过" in error.message) == ("photo", True)

    def test_receipt_number_already_used(self, county: County) -> None:
        retiree_intake(data=intake_data(county), photo=None, agent_proof=None, by=county.clerk)
        error = _refused(county, intake_data(county, id_number=fresh_id()))
        assert (error.field, "已经用过" in error.message) == ("fee_receipt_number", True)

    def test_inactive_bank(self, county: County) -> None:
        bank = BankFactory.create(code="CCB", name="中国建设银行", is_active=False)
        error = _refused(county, intake_data(county, bank_id=bank.pk))
        assert error.field == "bank_id"

    def test_township_staff_are_refused(self, county: County) -> None:
        before = counts()
        with pytest.raises(PermissionDenied):
            retiree_intake(data=intake_data(county), photo=None, agent_proof=None, by=county.officer_a)
        assert counts() == before

    def test_a_township_not_a_community(self, county: County) -> None:
        error = _refused(county, intake_data(county, community_id=county.township_a.pk))
        assert error.field == "community_id"

    def test_community_outside_scope(self, county: County) -> None:
        # A bureau clerk posted to township A (some counties place clerks at the township office).
        county.clerk.org_unit = county.township_a
        county.clerk.save(update_fields=["org_unit"])
        error = _refused(county, intake_data(county, community_id=county.community_b1.pk))
        assert (error.field, "不在您的管辖范围内" in error.message) == ("community_id", True)

    def test_after_a_refusal_the_next_number_is_still_the_first(self, county: County) -> None:
        _refused(county, intake_data(county, initial_amount=Decimal("0")))
        data = intake_data(county)
        retiree = retiree_intake(data=replace(data), photo=None, agent_proof=None, by=county.clerk)
        assert retiree.certificate_number == "360721202600001"
