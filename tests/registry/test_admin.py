"""The admin site: settings tables for the bureau admin, registry tables read-only, nobody else let in."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from registry.models import (
    Agent,
    Bank,
    BankAccount,
    Employer,
    OrgUnit,
    PensionRate,
    RegistrySnapshot,
    Retiree,
    Staff,
    StatusChange,
)
from registry.months import PensionMonth
from registry.services import registry_snapshot_take, retiree_change_status
from tests.factories import BankAccountFactory, EmployerFactory, PensionRateFactory, make_id_number

pytestmark = pytest.mark.django_db

SETTINGS_MODELS = [OrgUnit, Bank, Employer, Staff]
REGISTRY_MODELS = [Retiree, BankAccount, Agent, PensionRate, StatusChange, RegistrySnapshot]


def admin_url(model, view, *args):
    return reverse(f"admin:registry_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def filled(county):
    """One row in every registered table, so each changelist renders real rows."""
    a1 = county.retiree_a1
    EmployerFactory(name="示范机械厂")
    BankAccountFactory(retiree=a1, account_number="6221000000000022")
    PensionRateFactory(retiree=a1, amount=Decimal("2650.00"), effective_month=PensionMonth(2018, 4))
    retiree_change_status(
        retiree=county.retiree_a2,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2025, 9, 1),
        reason="未按期认证",
        by=county.clerk,
    )
    Agent.objects.create(
        retiree=a1,
        name="张小军",
        id_number=make_id_number(datetime.date(1985, 6, 1)),
        relation="儿子",
        valid_from=datetime.date(2025, 3, 1),
    )
    registry_snapshot_take(on=datetime.date(2026, 11, 20))
    return county


@pytest.fixture
def admin_client(client, county):
    client.force_login(county.admin)
    return client


def test_the_site_carries_the_bureau_header(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "企业退休人员社会化管理服务 · 系统管理" in response.content.decode()


@pytest.mark.parametrize("model", SETTINGS_MODELS + REGISTRY_MODELS, ids=lambda m: m.__name__)
def test_the_admin_opens_every_changelist(filled, admin_client, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


def test_the_rate_list_shows_the_month_and_the_amount(filled, admin_client):
    html = admin_client.get(admin_url(PensionRate, "changelist")).content.decode()

    assert "2018-04" in html
    assert "2650.00" in html


def test_retirees_are_found_by_id_number_prefix_and_name(filled, admin_client):
    changelist = admin_url(Retiree, "changelist")
    a1 = filled.retiree_a1

    by_id = admin_client.get(changelist, {"q": a1.id_number[:17]}).context["cl"].result_list
    by_name = admin_client.get(changelist, {"q": "李秀"}).context["cl"].result_list

    assert list(by_id) == [a1]
    assert list(by_name) == [filled.retiree_a2]


def test_a_clerk_is_sent_to_the_admin_login(client, county):
    client.force_login(county.clerk)

    for url in (reverse("admin:index"), admin_url(Retiree, "changelist"), admin_url(Bank, "add")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m.__name__)
def test_registry_tables_have_no_add_button_and_refuse_an_add(filled, admin_client, model):
    before = model.objects.count()

    changelist = admin_client.get(admin_url(model, "changelist")).content.decode()

    assert admin_url(model, "add") not in changelist
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "add"), {}).status_code == 403
    assert model.objects.count() == before


def test_a_retiree_is_shown_read_only_and_a_change_is_refused(filled, admin_client):
    a1 = filled.retiree_a1
    url = admin_url(Retiree, "change", a1.pk)

    page = admin_client.get(url)
    refused = admin_client.post(url, {"name": "张建民", "id_number": a1.id_number})

    assert page.status_code == 200
    assert a1.id_number in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert refused.status_code == 403
    a1.refresh_from_db()
    assert a1.name == "张建国"
    assert admin_client.post(admin_url(Retiree, "delete", a1.pk), {"post": "yes"}).status_code == 403
    assert Retiree.objects.filter(pk=a1.pk).exists()


def test_settings_tables_can_be_edited(county, admin_client):
    response = admin_client.post(
        admin_url(Bank, "add"),
        {"code": "RCB", "name": "示范县农村商业银行", "channel": "ebank_direct", "is_active": "on"},
    )

    assert response.status_code == 302
    assert Bank.objects.filter(code="RCB", channel=Bank.Channel.EBANK_DIRECT).count() == 1


# Staff accounts ---------------------------------------------------------------------------------------------


def staff_form(**fields):
    return {
        "username": "newclerk",
        "last_name": "赵",
        "first_name": "敏",
        "phone": "13907970009",
        "usable_password": "true",
        "password1": "Demo@2026-long",
        "password2": "Demo@2026-long",
        **fields,
    }


def test_a_township_role_at_the_county_unit_is_refused_with_the_message(county, admin_client):
    before = Staff.objects.count()

    response = admin_client.post(
        admin_url(Staff, "add"), staff_form(role=Staff.Role.TOWNSHIP_STAFF, org_unit=county.county.pk)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "org_unit": ["角色“乡镇(社区)经办人员”不能设在“县社保局”这一层级的单位。"]
    }
    assert Staff.objects.count() == before


def test_a_bureau_role_at_a_township_is_refused(county, admin_client):
    response = admin_client.post(
        admin_url(Staff, "add"), staff_form(role=Staff.Role.BUREAU_CLERK, org_unit=county.township_a.pk)
    )

    assert response.context["adminform"].form.errors == {
        "org_unit": ["角色“社保局经办人员”不能设在“乡镇(街道)”这一层级的单位。"]
    }
    assert not Staff.objects.filter(username="newclerk").exists()


def test_role_and_unit_are_required(county, admin_client):
    response = admin_client.post(admin_url(Staff, "add"), staff_form(role="", org_unit=""))

    assert response.context["adminform"].form.errors == {
        "role": ["该字段是必填项。"],
        "org_unit": ["该字段是必填项。"],
    }
    assert not Staff.objects.filter(username="newclerk").exists()


def test_a_clerk_created_in_the_admin_cannot_reach_the_admin(county, admin_client):
    response = admin_client.post(
        admin_url(Staff, "add"), staff_form(role=Staff.Role.BUREAU_CLERK, org_unit=county.county.pk)
    )

    assert response.status_code == 302
    created = Staff.objects.get(username="newclerk")
    assert (created.role, created.org_unit, created.display_name) == (
        Staff.Role.BUREAU_CLERK,
        county.county,
        "赵敏",
    )
    assert (created.is_staff, created.is_superuser) == (False, False)
    assert created.check_password("Demo@2026-long")


def test_a_bureau_admin_created_in_the_admin_gets_the_admin_site(county, admin_client):
    admin_client.post(
        admin_url(Staff, "add"),
        staff_form(username="newadmin", role=Staff.Role.BUREAU_ADMIN, org_unit=county.county.pk),
    )

    created = Staff.objects.get(username="newadmin")
    assert (created.is_staff, created.is_superuser) == (True, True)


def test_a_station_officer_may_sit_at_a_community(county, admin_client):
    admin_client.post(
        admin_url(Staff, "add"),
        staff_form(username="station_b1", role=Staff.Role.TOWNSHIP_STAFF, org_unit=county.community_b1.pk),
    )

    assert Staff.objects.get(username="station_b1").org_unit == county.community_b1


def test_changing_a_role_to_the_wrong_level_is_refused(county, admin_client):
    clerk = county.clerk
    form = {
        "username": "clerk",
        "last_name": "c",
        "first_name": "",
        "phone": "",
        "email": "",
        "role": Staff.Role.TOWNSHIP_STAFF,
        "org_unit": county.county.pk,
        "is_active": "on",
    }

    response = admin_client.post(admin_url(Staff, "change", clerk.pk), form)

    assert response.context["adminform"].form.errors == {
        "org_unit": ["角色“乡镇(社区)经办人员”不能设在“县社保局”这一层级的单位。"]
    }
    clerk.refresh_from_db()
    assert clerk.role == Staff.Role.BUREAU_CLERK


def test_promoting_a_clerk_to_bureau_admin_opens_the_admin_site_to_them(county, admin_client):
    clerk = county.clerk
    form = {
        "username": "clerk",
        "last_name": "c",
        "first_name": "",
        "phone": "",
        "email": "",
        "role": Staff.Role.BUREAU_ADMIN,
        "org_unit": county.county.pk,
        "is_active": "on",
    }

    response = admin_client.post(admin_url(Staff, "change", clerk.pk), form)

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert (clerk.role, clerk.is_staff, clerk.is_superuser) == (Staff.Role.BUREAU_ADMIN, True, True)
