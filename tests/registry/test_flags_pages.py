"""County flags in the browser and the API: the kinds page, the record page's tab, who may do what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.models import FlagKind, RetireeFlag
from registry.services.flags import flag_add, flag_kind_create, flag_remove


@pytest.fixture
def senior(county):
    return flag_kind_create(code="senior_title", name="高级职称", by=county.admin)


def signed_in(client, staff):
    client.force_login(staff)
    return client


# The kinds page -------------------------------------------------------------------------------------


def test_the_admin_adds_a_kind_and_sees_a_duplicate_refused(client, county, senior):
    admin = signed_in(client, county.admin)
    response = admin.post(
        reverse("flag-kind-list"),
        {"code": "hardship", "name": "艰苦边远地区", "sort_order": 2, "is_active": "on"},
    )
    assert response.status_code == 302
    assert FlagKind.objects.filter(code="hardship", is_active=True).exists()

    response = admin.post(
        reverse("flag-kind-list"), {"code": "senior_title", "name": "别的", "sort_order": 0}
    )
    assert response.status_code == 400
    assert "标记代码“senior_title”已存在。" in response.content.decode()
    response = admin.post(reverse("flag-kind-list"), {"code": "高级", "name": "别的", "sort_order": 0})
    assert "标记代码只能由英文字母、数字和下划线组成" in response.content.decode()
    assert FlagKind.objects.count() == 2


def test_the_admin_deactivates_a_used_kind_whose_code_is_then_fixed(client, county, senior):
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    admin = signed_in(client, county.admin)
    page = admin.get(reverse("flag-kind-edit", args=[senior.pk])).content.decode()
    assert 'id="code-fixed"' in page

    response = admin.post(
        reverse("flag-kind-edit", args=[senior.pk]), {"code": "changed", "name": "高级职称", "sort_order": 1}
    )

    assert response.status_code == 302
    senior.refresh_from_db()
    assert (senior.code, senior.is_active) == ("senior_title", False)  # the disabled field keeps its value


def test_everyone_who_sees_the_registry_sees_counts_in_their_scope(client, county, senior):
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    flag_add(retiree=county.retiree_b1, kind=senior, note="", by=county.clerk)

    page = signed_in(client, county.officer_a).get(reverse("flag-kind-list")).content.decode()

    assert '<td class="text-end flag-holders">1</td>' in page
    assert 'id="flag-kind-form"' not in page  # no form for who may not keep the kinds
    assert 'id="flag-import-link"' not in page
    page = signed_in(client, county.clerk).get(reverse("flag-kind-list")).content.decode()
    assert '<td class="text-end flag-holders">2</td>' in page
    assert 'id="flag-import-link"' in page


# The record page's tab ------------------------------------------------------------------------------


def test_the_record_page_has_the_tab_and_the_clerk_sets_and_removes_a_flag(client, county, senior):
    clerk = signed_in(client, county.clerk)
    detail = clerk.get(reverse("retiree-detail", args=[county.retiree_a1.pk])).content.decode()
    assert reverse("retiree-flags", args=[county.retiree_a1.pk]) in detail
    assert "人员标记" in detail

    response = clerk.post(
        reverse("retiree-flag-add", args=[county.retiree_a1.pk]),
        {"kind": senior.pk, "note": "职称证书编号 A2023-0456"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "已设置标记“高级职称”。" in page
    assert "职称证书编号 A2023-0456" in page
    flag = RetireeFlag.objects.get()

    response = clerk.post(
        reverse("retiree-flag-add", args=[county.retiree_a1.pk]), {"kind": senior.pk}, HTTP_HX_REQUEST="true"
    )
    assert "张建国 已有标记“高级职称”。" in response.content.decode()

    response = clerk.post(
        reverse("retiree-flag-remove", args=[county.retiree_a1.pk, flag.pk]),
        {"note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "请填写取消的原因。" in response.content.decode()
    response = clerk.post(
        reverse("retiree-flag-remove", args=[county.retiree_a1.pk, flag.pk]),
        {"note": "证书核查不实"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "已取消标记“高级职称”。" in page
    assert 'id="flags-history"' in page
    assert "证书核查不实" in page
    flag.refresh_from_db()
    assert flag.removed_by == county.clerk


def test_a_plain_post_goes_back_to_the_record_page(client, county, senior):
    response = signed_in(client, county.clerk).post(
        reverse("retiree-flag-add", args=[county.retiree_a1.pk]), {"kind": senior.pk, "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("retiree-detail", args=[county.retiree_a1.pk])


def test_a_reader_sees_the_flags_without_the_forms(client, county, senior):
    flag_add(retiree=county.retiree_a1, kind=senior, note="证书", by=county.clerk)
    page = signed_in(client, county.officer_a).get(reverse("retiree-flags", args=[county.retiree_a1.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "高级职称" in text
    assert 'id="flag-add-form"' not in text
    assert "flag-remove-form" not in text


def test_a_flag_of_another_person_is_not_found(client, county, senior):
    flag = flag_add(retiree=county.retiree_b1, kind=senior, note="", by=county.clerk)
    response = signed_in(client, county.clerk).post(
        reverse("retiree-flag-remove", args=[county.retiree_a1.pk, flag.pk]), {"note": "x"}
    )
    assert response.status_code == 404
    assert RetireeFlag.objects.get().removed_at is None


def test_an_inactive_kind_is_not_offered(client, county, senior):
    FlagKind.objects.create(code="old", name="旧标记", is_active=False)
    page = signed_in(client, county.clerk).get(reverse("retiree-flags", args=[county.retiree_a1.pk]))
    assert "旧标记" not in page.content.decode()
    response = client.post(
        reverse("retiree-flag-add", args=[county.retiree_a1.pk]),
        {"kind": FlagKind.objects.get(code="old").pk},
        HTTP_HX_REQUEST="true",
    )
    assert "该标记不存在或已停用。" in response.content.decode()
    assert not RetireeFlag.objects.exists()


# The API ---------------------------------------------------------------------------------------------


def test_the_api_lists_adds_and_removes(client, county, senior):
    clerk = signed_in(client, county.clerk)
    url = reverse("api-retiree-flags", args=[county.retiree_a1.pk])
    assert url == f"/api/registry/retirees/{county.retiree_a1.pk}/flags/"

    response = clerk.post(url, {"kind": "senior_title", "note": "证书"}, content_type="application/json")
    assert response.status_code == 201
    flag_id = response.json()["id"]
    assert response.json()["is_current"] is True

    response = clerk.post(url, {"kind": "senior_title"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["张建国 已有标记“高级职称”。"]}
    response = clerk.post(url, {"kind": "nothing"}, content_type="application/json")
    assert response.json() == {"kind": ["没有这个标记。"]}

    remove = reverse("api-retiree-flag-remove", args=[county.retiree_a1.pk, flag_id])
    response = clerk.post(remove, {"note": "核查不实"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["is_current"] is False
    assert [row["note"] for row in clerk.get(url).json()] == ["证书;取消原因:核查不实"]


def test_the_api_kinds_are_read_by_all_and_kept_by_the_admin(client, county, senior):
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    listed = signed_in(client, county.auditor).get(reverse("api-flag-kind-list")).json()
    assert [(row["code"], row["holders"], row["used"]) for row in listed] == [("senior_title", 1, True)]
    response = client.post(
        reverse("api-flag-kind-list"), {"code": "x", "name": "y"}, content_type="application/json"
    )
    assert response.status_code == 403

    admin = signed_in(client, county.admin)
    response = admin.post(
        reverse("api-flag-kind-list"),
        {"code": "hardship", "name": "艰苦边远地区"},
        content_type="application/json",
    )
    assert response.status_code == 201
    detail = reverse("api-flag-kind-detail", args=[senior.pk])
    response = admin.patch(detail, {"code": "other"}, content_type="application/json")
    assert response.json() == {"code": ["该标记已有人使用过,标记代码不能再修改。"]}
    response = admin.patch(detail, {"is_active": False}, content_type="application/json")
    assert response.json()["is_active"] is False
    assert response.json()["code"] == "senior_title"


def test_the_retiree_list_filters_by_a_current_flag(client, county, senior):
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    removed = flag_add(retiree=county.retiree_a2, kind=senior, note="", by=county.clerk)
    flag_remove(flag=removed, by=county.clerk, note="x")

    response = signed_in(client, county.clerk).get(reverse("retiree-list"), {"flag": "senior_title"})

    names = [retiree.name for retiree in response.context["page"].retirees]
    assert names == ["张建国"]
    assert '<option value="senior_title" selected>高级职称</option>' in response.content.decode()
    everyone = client.get(reverse("retiree-list")).context["page"].retirees
    assert len(everyone) == 3
