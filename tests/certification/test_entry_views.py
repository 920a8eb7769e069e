"""The township entry screen (扫码认证): scan → card → certify, every refusal with nothing written, the
scope of a township officer, the year's first record kept, and the restoration of a suspended retiree from the
screen."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from certification.models import Campaign, Certification
from certification.services import certify, suspension_run
from pensions.models import PayoutLine
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.id_numbers import check_character, mask_resident_id
from registry.models import ArrearsItem, Retiree, StatusChange
from registry.months import PensionMonth
from registry.services import retiree_change_status
from tests.certification.deaths import confirmed_death
from tests.clients import signed_in
from tests.factories import RetireeFactory, make_id_number

SH = ZoneInfo("Asia/Shanghai")
APRIL_15 = datetime.date(2026, 4, 15)
ENTRY = "/certification/entry/"
LOOKUP = "/certification/entry/lookup/"
CERTIFY = "/certification/entry/certify/"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def april_15() -> Iterator[None]:
    with time_machine.travel(datetime.datetime(2026, 4, 15, 9, 30, tzinfo=SH), tick=False):
        yield


def lookup(client: Client, number: str):
    return client.get(LOOKUP, {"id_number": number}, headers=HTMX)


def post(client: Client, retiree: Retiree, **fields):
    data = {
        "retiree": retiree.pk,
        "channel": "in_person",
        "visitor_name": "",
        "certifying_office": "",
        "note": "",
    }
    data.update(fields)
    return client.post(CERTIFY, data, headers=HTMX)


def written() -> tuple[int, int, int, int]:
    """Everything a certification could write: records, campaigns, status changes, arrears."""
    return (
        Certification.objects.count(),
        Campaign.objects.count(),
        StatusChange.objects.count(),
        ArrearsItem.objects.count(),
    )


def png(name: str = "letter.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 250)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# The screen and who may use it ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer_a", "station_a1", "clerk", "admin"])
def test_the_screen_opens_with_the_scan_box_focused_for_roles_that_certify(county, persona):
    response = signed_in(county.staff_by_role()[persona]).get(ENTRY)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="id_number"' in html
    assert "autofocus" in html
    assert "今天还没有认证记录。" in html
    assert "js/certification-entry.js" in html


@pytest.mark.parametrize("persona", ["reviewer", "auditor"])
def test_roles_that_cannot_certify_get_403_and_nothing_is_written(county, persona):
    client = signed_in(county.staff_by_role()[persona])
    assert client.get(ENTRY).status_code == 403
    assert lookup(client, county.retiree_a1.id_number).status_code == 403
    assert post(client, county.retiree_a1).status_code == 403
    assert written() == (0, 0, 0, 0)


def test_signed_out_the_screen_asks_to_sign_in(county):
    response = Client().get(ENTRY)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# The card ---------------------------------------------------------------------------------------------------


def test_a_scan_shows_the_card_with_the_certify_button_focused(county):
    retiree = county.retiree_a1
    response = lookup(signed_in(county.officer_a), retiree.id_number)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="entry-name">张建国<' in html
    assert mask_resident_id(retiree.id_number) in html
    assert retiree.id_number not in html  # masked: the officer has the card in hand
    assert 'id="entry-township">城关镇<' in html
    assert 'id="entry-community">东街社区<' in html
    assert "无认证记录" in html
    assert "正常发放" in html
    age = 2026 - retiree.birth_date.year - ((retiree.birth_date.month, retiree.birth_date.day) > (4, 15))
    assert f"{age} 岁" in html
    assert 'id="entry-certify-button" autofocus' in html
    # In person is the default channel; the visitor is prefilled with the officer's own name.
    assert 'value="in_person" checked' in html
    assert 'name="visitor_name" value="o"' in html
    assert "认证后将恢复并补发" not in html
    assert written() == (0, 0, 0, 0)  # looking up writes nothing, not even the year's campaign


def test_the_card_shows_the_photo_when_there_is_one(county):
    retiree = county.retiree_a1
    retiree.photo.save("a1.png", png(), save=True)
    html = lookup(signed_in(county.officer_a), retiree.id_number).content.decode()
    assert f'src="/retirees/{retiree.pk}/photo/"' in html


def test_a_lower_case_x_and_an_old_15_digit_number_find_the_retiree(county):
    with_x = None
    for sequence in range(1, 999):
        first17 = f"36072119550101{sequence:03d}"
        if check_character(first17) == "X":
            with_x = RetireeFactory.create(
                name="刘晓", id_number=first17 + "X", community=county.community_a2
            )
            break
    assert with_x is not None
    old = "360721550203123"
    first17 = old[:6] + "19" + old[6:]
    RetireeFactory.create(
        name="陈旧号",
        id_number=first17 + check_character(first17),
        id_number_original=old,
        community=county.community_a1,
    )
    client = signed_in(county.officer_a)

    assert 'id="entry-name">刘晓<' in lookup(client, with_x.id_number.lower()).content.decode()
    assert 'id="entry-name">陈旧号<' in lookup(client, old).content.decode()


def test_the_last_certification_is_shown_with_year_date_and_channel(county):
    with time_machine.travel(datetime.datetime(2025, 5, 6, 10, 0, tzinfo=SH), tick=False):
        certify(
            retiree=county.retiree_a1,
            channel="home_visit",
            visitor_name="刘芳",
            certified_on=datetime.date(2025, 5, 6),
            by=county.officer_a,
        )
    html = lookup(signed_in(county.officer_a), county.retiree_a1.id_number).content.decode()
    assert "2025 年度 · 2025-05-06 · 上门认证" in html
    assert 'id="entry-certify-button"' in html  # last year's does not count for this year


def test_the_12_month_mode_shows_until_when_the_last_certification_counts(county):
    Campaign.objects.create(year=2026, mode="rolling_12_months", **Campaign.default_dates(2026))
    Certification.objects.create(
        retiree=county.retiree_a1,
        year=2025,
        certified_on=datetime.date(2025, 9, 10),
        channel="in_person",
        recorded_by=county.officer_a,
    )
    html = lookup(signed_in(county.officer_a), county.retiree_a1.id_number).content.decode()
    assert "有效至 2026-09-09" in html


def test_before_the_year_s_campaign_exists_the_card_follows_the_county_s_mode(county, settings):
    settings.CERTIFICATION_MODE = "rolling_12_months"
    Certification.objects.create(
        retiree=county.retiree_a1,
        year=2025,
        certified_on=datetime.date(2025, 9, 10),
        channel="in_person",
        recorded_by=county.officer_a,
    )
    html = lookup(signed_in(county.officer_a), county.retiree_a1.id_number).content.decode()
    assert "有效至 2026-09-09" in html
    assert not Campaign.objects.exists()  # read with the county's mode, not made


def test_in_the_12_month_mode_a_january_record_does_not_stop_a_december_certification(county, settings):
    settings.CERTIFICATION_MODE = "rolling_12_months"
    certify(
        retiree=county.retiree_a1,
        channel="in_person",
        certified_on=datetime.date(2026, 1, 15),
        by=county.officer_a,
    )
    with time_machine.travel(datetime.datetime(2026, 12, 5, 10, 0, tzinfo=SH), tick=False):
        # After August 1 a certification counts for the 2027 run, which nothing covers yet
        card = lookup(signed_in(county.officer_a), county.retiree_a1.id_number).content.decode()
        assert 'data-can-certify="true"' in card and 'id="entry-already"' not in card
    with time_machine.travel(datetime.datetime(2026, 6, 5, 10, 0, tzinfo=SH), tick=False):
        # Before it, the January record covers this year's run
        card = lookup(signed_in(county.officer_a), county.retiree_a1.id_number).content.decode()
        assert 'data-can-certify="false"' in card and 'id="entry-already"' in card


# Refusals: a clear message, nothing written -----------------------------------------------------------------


def test_a_wrong_check_character_is_refused(county):
    number = county.retiree_a1.id_number
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = lookup(signed_in(county.officer_a), wrong)
    assert response.status_code == 400
    html = response.content.decode()
    assert "身份证号码校验位错误" in html
    assert 'id="entry-refusal"' in html
    assert "张建国" not in html
    assert written() == (0, 0, 0, 0)


def test_a_number_of_the_wrong_shape_is_refused(county):
    response = lookup(signed_in(county.officer_a), "12345")
    assert response.status_code == 400
    assert "身份证号码应为18位" in response.content.decode()


def test_a_valid_number_nobody_carries_is_refused(county):
    response = lookup(signed_in(county.officer_a), make_id_number(datetime.date(1951, 2, 3)))
    assert response.status_code == 404
    assert "本辖区没有身份证号码为该号码的退休人员,请核对号码。" in response.content.decode()
    assert written() == (0, 0, 0, 0)


def test_an_unknown_number_and_another_townships_retiree_get_one_answer(county):
    """ADR 0002: the wording and the status must not tell an officer that a number exists elsewhere."""
    client = signed_in(county.officer_a)
    unknown = lookup(client, make_id_number(datetime.date(1951, 2, 3)))
    foreign = lookup(client, county.retiree_b1.id_number)
    assert (unknown.status_code, foreign.status_code) == (404, 404)

    def refusal(response):
        html = response.content.decode()
        return html[html.index('id="entry-refusal"') :].split("</div>", 1)[0]

    assert refusal(unknown) == refusal(foreign)
    assert "本辖区没有身份证号码为该号码的退休人员,请核对号码。" in refusal(foreign)


def test_a_retiree_of_another_township_is_refused_without_their_data(county):
    client = signed_in(county.officer_a)
    retiree = county.retiree_b1

    response = lookup(client, retiree.id_number)
    assert response.status_code == 404
    html = response.content.decode()
    assert "本辖区没有身份证号码为该号码的退休人员,请核对号码。" in html
    for revealing in ("王德胜", "梅林", mask_resident_id(retiree.id_number), f"/retirees/{retiree.pk}/"):
        assert revealing not in html

    posted = post(client, retiree)
    assert posted.status_code == 404
    assert "本辖区没有身份证号码为该号码的退休人员,请核对号码。" in posted.content.decode()
    assert "王德胜" not in posted.content.decode()
    assert written() == (0, 0, 0, 0)


def test_a_community_station_sees_only_its_community(county):
    client = signed_in(county.station_a1)
    assert lookup(client, county.retiree_a1.id_number).status_code == 200
    response = lookup(client, county.retiree_a2.id_number)
    assert response.status_code == 404
    assert "李秀兰" not in response.content.decode()


@pytest.mark.parametrize("status", ["deceased", "terminated"])
def test_a_deceased_or_terminated_retiree_cannot_be_certified(county, status):
    retiree = county.retiree_a1
    Retiree.objects.filter(pk=retiree.pk).update(status=status, died_on=datetime.date(2026, 3, 2))
    label = Retiree.Status(status).label
    client = signed_in(county.officer_a)

    html = lookup(client, retiree.id_number).content.decode()
    assert f"该退休人员状态为“{label}”,不能认证。" in html
    assert 'id="entry-certify-button"' not in html

    response = post(client, retiree)
    assert response.status_code == 400
    assert f"该退休人员状态为“{label}”,不能认证。" in response.content.decode()
    assert written() == (0, 0, 0, 0)


def test_a_retiree_whose_death_a_clerk_confirmed_gets_no_certify_button(county):
    confirmed_death(county.retiree_a1, by=county.clerk)
    message = "该退休人员已经死亡比对确认,不能认证;如有错误,请与社保局经办人员联系。"
    client = signed_in(county.officer_a)
    html = lookup(client, county.retiree_a1.id_number).content.decode()
    assert f'id="entry-cannot">{message}<' in html
    assert 'id="entry-certify-button"' not in html
    assert 'data-can-certify="false"' in html

    response = post(client, county.retiree_a1)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert written() == (0, 0, 0, 0)


def test_online_and_data_comparison_are_not_offered_on_the_screen(county):
    client = signed_in(county.officer_a)
    html = lookup(client, county.retiree_a1.id_number).content.decode()
    assert (
        'value="home_visit"' in html and 'value="certificate"' in html and 'value="remote_assisted"' in html
    )
    assert 'value="online"' not in html and 'value="data_comparison"' not in html
    for channel in ("online", "data_comparison", "telepathy"):
        response = post(client, county.retiree_a1, channel=channel)
        assert response.status_code == 400
        assert "认证方式" in response.content.decode()
    assert written() == (0, 0, 0, 0)


def test_a_post_without_a_retiree_is_refused(county):
    response = signed_in(county.officer_a).post(CERTIFY, {"channel": "in_person"}, headers=HTMX)
    assert response.status_code == 400
    assert "请先刷身份证查找退休人员。" in response.content.decode()
    assert written() == (0, 0, 0, 0)


# Certifying -------------------------------------------------------------------------------------------------


def test_an_officer_certifies_in_person_and_sees_the_line_and_today_s_list(county):
    client = signed_in(county.officer_a)
    response = post(client, county.retiree_a1)

    assert response.status_code == 200
    row = Certification.objects.get()
    assert (row.retiree, row.year, row.certified_on, row.channel, row.recorded_by, row.visitor_name) == (
        county.retiree_a1,
        2026,
        APRIL_15,
        "in_person",
        county.officer_a,
        "",
    )
    html = response.content.decode()
    assert "张建国 已认证:乡镇经办窗口认证,2026-04-15,经办人 o。" in html
    assert "已恢复发放" not in html
    assert 'hx-swap-oob="afterbegin:#entry-today-rows"' in html
    assert f'data-certification="{row.pk}"' in html
    assert 'id="entry-today-count" hx-swap-oob="true">1 人<' in html

    # The page, opened again, lists today's certification of this officer.
    page = client.get(ENTRY).content.decode()
    assert f'data-certification="{row.pk}"' in page
    assert "09:30" in page


def test_today_s_list_holds_only_the_officer_s_own_certifications_of_today_newest_first(county):
    other = RetireeFactory.create(name="赵四", community=county.community_a2)
    third = RetireeFactory.create(name="钱五", community=county.community_a1)
    with time_machine.travel(datetime.datetime(2026, 4, 14, 16, 0, tzinfo=SH), tick=False):
        yesterday = certify(
            retiree=other, channel="in_person", certified_on=datetime.date(2026, 4, 14), by=county.officer_a
        )
    by_clerk = certify(retiree=third, channel="in_person", certified_on=APRIL_15, by=county.clerk)
    client = signed_in(county.officer_a)
    post(client, county.retiree_a1)
    with time_machine.travel(datetime.datetime(2026, 4, 15, 9, 45, tzinfo=SH), tick=False):
        post(client, county.retiree_a2)

    html = client.get(ENTRY).content.decode()
    a1 = Certification.objects.get(retiree=county.retiree_a1).pk
    a2 = Certification.objects.get(retiree=county.retiree_a2).pk
    assert html.index(f'data-certification="{a2}"') < html.index(f'data-certification="{a1}"')
    assert f'data-certification="{yesterday.certification.pk}"' not in html
    assert f'data-certification="{by_clerk.certification.pk}"' not in html
    assert 'id="entry-today-count">2 人<' in html


def test_a_home_visit_records_the_visitor_and_the_screen_remembers_the_channel(county):
    client = signed_in(county.officer_a)
    response = post(client, county.retiree_a1, channel="home_visit", visitor_name="刘芳")
    assert response.status_code == 200
    assert Certification.objects.get().visitor_name == "刘芳"
    assert "上门认证" in response.content.decode()

    html = lookup(client, county.retiree_a2.id_number).content.decode()
    assert 'value="home_visit" checked' in html
    assert 'value="in_person" checked' not in html


def test_a_home_visit_without_a_visitor_is_refused_on_the_card(county):
    response = post(signed_in(county.officer_a), county.retiree_a1, channel="home_visit", visitor_name="  ")
    assert response.status_code == 400
    html = response.content.decode()
    assert "上门认证请填写上门人员姓名。" in html
    assert 'id="entry-name">张建国<' in html  # the card stays, to be corrected
    assert written() == (0, 0, 0, 0)


def test_a_certificate_needs_a_scan_of_an_accepted_type_and_size(county, settings):
    client = signed_in(county.officer_a)
    missing = post(client, county.retiree_a1, channel="certificate")
    assert missing.status_code == 400
    assert "请上传证明材料扫描件。" in missing.content.decode()

    renamed = SimpleUploadedFile("letter.pdf", b"this is not a pdf", content_type="application/pdf")
    wrong_type = post(client, county.retiree_a1, channel="certificate", document=renamed)
    assert wrong_type.status_code == 400
    assert "证明材料扫描件应为 PDF、JPG 或 PNG 文件。" in wrong_type.content.decode()

    settings.CERTIFICATION_DOCUMENT_MAX_BYTES = 10
    too_large = post(client, county.retiree_a1, channel="certificate", document=png())
    assert too_large.status_code == 400
    assert "证明材料扫描件不能超过 0.0 MB。" in too_large.content.decode()
    assert written() == (0, 0, 0, 0)

    settings.CERTIFICATION_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    pdf = SimpleUploadedFile(
        "committee.pdf", b"%PDF-1.4\n% committee letter\n", content_type="application/pdf"
    )
    saved = post(client, county.retiree_a1, channel="certificate", document=pdf)
    assert saved.status_code == 200
    row = Certification.objects.get()
    assert row.channel == "certificate"
    assert row.document.name.startswith("certifications/2026/committee")
    with row.document.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4\n% committee letter\n"


def test_a_remote_assisted_certification_needs_the_certifying_office(county):
    client = signed_in(county.officer_a)
    refused = post(client, county.retiree_a1, channel="remote_assisted")
    assert refused.status_code == 400
    assert "请填写协助认证的社保经办机构。" in refused.content.decode()
    assert written() == (0, 0, 0, 0)

    assert (
        post(
            client, county.retiree_a1, channel="remote_assisted", certifying_office="海口市社保局"
        ).status_code
        == 200
    )
    assert Certification.objects.get().certifying_office == "海口市社保局"


def test_fields_of_another_channel_are_not_recorded(county):
    post(
        signed_in(county.officer_a),
        county.retiree_a1,
        channel="in_person",
        visitor_name="o",
        certifying_office="海口市社保局",
        note="本人持证办理",
    )
    row = Certification.objects.get()
    assert (row.visitor_name, row.certifying_office, row.note) == ("", "", "本人持证办理")


def test_certified_already_this_year_keeps_the_first_record_and_says_so(county):
    with time_machine.travel(datetime.datetime(2026, 4, 10, 11, 0, tzinfo=SH), tick=False):
        first = certify(
            retiree=county.retiree_a1,
            channel="home_visit",
            visitor_name="刘芳",
            certified_on=datetime.date(2026, 4, 10),
            by=county.clerk,
        )
    client = signed_in(county.officer_a)

    html = lookup(client, county.retiree_a1.id_number).content.decode()
    assert "本年度已于 2026-04-10 认证(上门认证),无需重复认证" in html
    assert 'id="entry-certify-button"' not in html

    before = written()
    response = post(client, county.retiree_a1)  # a second tab, or a double Enter
    assert response.status_code == 200
    assert "张建国 本年度已于 2026-04-10 认证(上门认证,经办人 c),无需重复认证。" in response.content.decode()
    assert written() == before
    assert list(Certification.objects.values_list("pk", "certified_on", "channel", "recorded_by")) == [
        (first.certification.pk, datetime.date(2026, 4, 10), "home_visit", county.clerk.pk)
    ]


def test_without_htmx_the_screen_still_works_with_full_pages(county):
    client = signed_in(county.officer_a)
    redirected = client.get(LOOKUP, {"id_number": county.retiree_a1.id_number})
    assert redirected.status_code == 302
    page = client.get(redirected["Location"])
    assert page.status_code == 200
    assert 'id="entry-name">张建国<' in page.content.decode()

    refused = client.get(ENTRY, {"id_number": county.retiree_b1.id_number})
    assert refused.status_code == 404
    assert "本辖区没有身份证号码为该号码的退休人员,请核对号码。" in refused.content.decode()

    response = client.post(CERTIFY, {"retiree": county.retiree_a1.pk, "channel": "in_person"}, follow=True)
    assert response.redirect_chain == [("/certification/entry/", 302)]
    assert "张建国 已认证:乡镇经办窗口认证,2026-04-15,经办人 o。" in response.content.decode()


def test_without_htmx_a_refused_certify_comes_back_as_the_whole_screen(county):
    client = signed_in(county.officer_a)

    to_correct = client.post(CERTIFY, {"retiree": county.retiree_a2.pk, "channel": "home_visit"})
    assert to_correct.status_code == 400
    html = to_correct.content.decode()
    assert "<html" in html and 'name="id_number"' in html  # the page with its scan box, not a fragment
    assert 'id="entry-error"' in html and "上门认证请填写上门人员姓名。" in html
    assert 'id="entry-certify-button"' in html  # the card stays, to be corrected

    other = client.post(CERTIFY, {"retiree": county.retiree_b1.pk, "channel": "in_person"})
    assert other.status_code == 404
    html = other.content.decode()
    assert (
        "<html" in html
        and 'id="entry-refusal"' in html
        and "本辖区没有身份证号码为该号码的退休人员,请核对号码。" in html
    )
    assert "王德胜" not in html
    assert written() == (0, 0, 0, 0)


# Suspension and restoration ---------------------------------------------------------------------------------


def test_a_suspension_by_a_clerk_is_shown_as_not_lifted_by_certifying(county):
    retiree_change_status(
        retiree=county.retiree_a1,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 3, 1),
        reason="银行账户冻结",
        by=county.clerk,
    )
    html = lookup(signed_in(county.officer_a), county.retiree_a1.id_number).content.decode()
    assert "认证后不会自动恢复发放" in html
    assert "认证后将恢复并补发" not in html


def test_certifying_a_suspended_retiree_on_the_screen_restores_them_with_back_pay(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),), community=county.community_a2, name="孙停发")
    with time_machine.travel(datetime.datetime(2026, 8, 1, 3, 0, tzinfo=SH), tick=False):
        suspension_run(year=2026, today=datetime.date(2026, 8, 1))
        august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
        plan_submit(plan=august, by=county.clerk)
        plan_approve(plan=august, by=county.reviewer)
    line = PayoutLine.objects.get(plan=august, retiree=retiree)
    assert (line.is_withheld, line.withheld, line.net) == (True, Decimal("2650.00"), Decimal("0.00"))

    with time_machine.travel(datetime.datetime(2026, 8, 20, 10, 0, tzinfo=SH), tick=False):
        client = signed_in(county.officer_a)
        card = lookup(client, retiree.id_number).content.decode()
        assert "已暂停发放,认证后将恢复并补发" in card
        assert 'id="entry-certify-button"' in card

        response = post(client, retiree)

    assert response.status_code == 200
    assert "孙停发 已认证:乡镇经办窗口认证,2026-08-20,经办人 o。 已恢复发放" in response.content.decode()
    retiree.refresh_from_db()
    assert retiree.status == "active"
    assert list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "amount", "reason")) == [
        (PensionMonth(2026, 8), Decimal("2650.00"), "restoration")
    ]
