"""County flags (人员标记): kinds, one person's flag set and removed, scope, the audit log, the demo."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from registry.errors import FlagError
from registry.models import FlagKind, Retiree, RetireeFlag
from registry.selectors.audit_log import AuditLogFilters, audit_log_page
from registry.selectors.flags import flag_kinds_with_counts, flags_of
from registry.services.flags import flag_add, flag_kind_create, flag_kind_update, flag_remove


@pytest.fixture
def senior(county):
    return flag_kind_create(code="senior_title", name="高级职称", sort_order=1, by=county.admin)


@pytest.fixture
def hardship(county):
    return flag_kind_create(code="hardship", name="艰苦边远地区", sort_order=2, by=county.admin)


# Kinds --------------------------------------------------------------------------------------------


def test_the_admin_adds_a_kind_and_refuses_bad_or_duplicate_codes_and_names(county, senior):
    assert (senior.code, senior.name, senior.is_active) == ("senior_title", "高级职称", True)
    for code, name, field, message in (
        ("Senior_Title", "别的名称", "code", "标记代码“Senior_Title”已存在。"),
        ("other", "高级职称", "name", "标记名称“高级职称”已存在。"),
        ("高级", "别的名称", "code", "标记代码只能由英文字母、数字和下划线组成"),
        ("has space", "别的名称", "code", "标记代码只能由英文字母、数字和下划线组成"),
        ("x" * 21, "别的名称", "code", "最多 20 个字符"),
        ("other", "  ", "name", "请填写标记名称。"),
    ):
        with pytest.raises(FlagError) as refused:
            flag_kind_create(code=code, name=name, by=county.admin)
        assert refused.value.field == field
        assert message in refused.value.message
    assert FlagKind.objects.count() == 1


@pytest.mark.parametrize("who", ["clerk", "reviewer", "auditor", "officer_a"])
def test_only_the_admin_keeps_the_kinds(county, senior, who):
    with pytest.raises(PermissionDenied):
        flag_kind_create(code="other", name="别的", by=getattr(county, who))
    with pytest.raises(PermissionDenied):
        flag_kind_update(kind=senior, name="改名", sort_order=0, is_active=True, by=getattr(county, who))


def test_a_code_is_fixed_once_anyone_carried_the_flag(county, senior):
    flag_kind_update(
        kind=senior, code="senior", name="高级职称", sort_order=1, is_active=True, by=county.admin
    )
    assert FlagKind.objects.get(pk=senior.pk).code == "senior"
    flag = flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    flag_remove(flag=flag, by=county.clerk, note="录入错误")

    with pytest.raises(FlagError, match="标记代码不能再修改"):
        flag_kind_update(
            kind=senior, code="senior_title", name="高级职称", sort_order=1, is_active=True, by=county.admin
        )
    # Renaming and deactivating stay possible.
    flag_kind_update(
        kind=senior, code="senior", name="正高级职称", sort_order=5, is_active=False, by=county.admin
    )
    senior.refresh_from_db()
    assert (senior.code, senior.name, senior.sort_order, senior.is_active) == (
        "senior",
        "正高级职称",
        5,
        False,
    )


# One person's flags -------------------------------------------------------------------------------


def test_a_clerk_sets_and_removes_a_flag_with_who_and_when_kept(county, senior):
    flag = flag_add(retiree=county.retiree_a1, kind=senior, note="职称证书编号 A2023-0456", by=county.clerk)
    assert (flag.added_by, flag.removed_at, flag.note) == (county.clerk, None, "职称证书编号 A2023-0456")

    removed = flag_remove(flag=flag, by=county.admin, note="证书核查不实")

    assert removed.removed_by == county.admin
    assert removed.removed_at is not None
    assert removed.note == "职称证书编号 A2023-0456;取消原因:证书核查不实"
    # Set again later: a new row, the old one stays as history.
    again = flag_add(retiree=county.retiree_a1, kind=senior, note="重新认定", by=county.clerk)
    assert [row.pk for row in flags_of(county.retiree_a1)] == [again.pk, flag.pk]
    # pghistory keeps the basis as it was before the removal.
    events = RetireeFlag.pgh_event_model.objects.filter(pgh_obj_id=flag.pk).order_by("pgh_id")
    assert [(event.pgh_label, event.note) for event in events] == [
        ("insert", "职称证书编号 A2023-0456"),
        ("update", "职称证书编号 A2023-0456;取消原因:证书核查不实"),
    ]


def test_refusals_write_nothing(county, senior, hardship):
    flag = flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    with pytest.raises(FlagError, match="张建国 已有标记“高级职称”。"):
        flag_add(retiree=county.retiree_a1, kind=senior, note="再来一次", by=county.clerk)

    flag_kind_update(kind=hardship, name=hardship.name, sort_order=2, is_active=False, by=county.admin)
    with pytest.raises(FlagError, match="标记“艰苦边远地区”已停用,不能再设置。"):
        flag_add(retiree=county.retiree_a1, kind=hardship, note="", by=county.clerk)

    with pytest.raises(FlagError, match="请填写取消的原因。"):
        flag_remove(flag=flag, by=county.clerk, note="  ")
    flag_remove(flag=flag, by=county.clerk, note="错误")
    with pytest.raises(FlagError, match="该标记已经取消过了。"):
        flag_remove(flag=flag, by=county.clerk, note="再取消")
    assert RetireeFlag.objects.count() == 1


def test_the_partial_unique_index_keeps_one_current_flag_even_past_the_service(county, senior):
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    RetireeFlag.objects.filter(retiree=county.retiree_a1).update(
        removed_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), removed_by=county.clerk
    )
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    with connection.cursor() as cursor, pytest.raises(Exception, match="retireeflag_one_current"):
        cursor.execute(
            "INSERT INTO registry_retireeflag (retiree_id, kind_id, note, added_by_id, added_at)"
            " VALUES (%s, %s, '', %s, now())",
            [county.retiree_a1.pk, senior.pk, county.clerk.pk],
        )


def test_scope_and_role_are_checked_by_the_service(county, senior):
    a_clerk_of_nowhere = county.officer_a  # township staff: no EDIT_REGISTRY
    with pytest.raises(PermissionDenied):
        flag_add(retiree=county.retiree_a1, kind=senior, note="", by=a_clerk_of_nowhere)
    flag = flag_add(retiree=county.retiree_b1, kind=senior, note="", by=county.clerk)
    with pytest.raises(PermissionDenied):
        flag_remove(flag=flag, by=county.reviewer, note="x")
    assert RetireeFlag.objects.filter(removed_at__isnull=True).count() == 1


def test_a_clerk_outside_the_persons_township_is_refused(county, senior):
    from tests.factories import StaffFactory

    township_clerk = StaffFactory.create(
        username="clerk_a", role="bureau_clerk", org_unit=county.township_a, last_name="镇"
    )
    flag_add(retiree=county.retiree_a2, kind=senior, note="", by=township_clerk)
    with pytest.raises(FlagError, match="不在您的管辖范围内"):
        flag_add(retiree=county.retiree_b1, kind=senior, note="", by=township_clerk)
    assert not RetireeFlag.objects.filter(retiree=county.retiree_b1).exists()


def test_the_kind_list_counts_current_holders_in_the_users_scope(county, senior, hardship):
    for retiree in (county.retiree_a1, county.retiree_a2, county.retiree_b1):
        flag_add(retiree=retiree, kind=senior, note="", by=county.clerk)
    flag_remove(flag=RetireeFlag.objects.get(retiree=county.retiree_a2), by=county.clerk, note="x")

    def counts(user):
        return {kind.code: (kind.holders, kind.used) for kind in flag_kinds_with_counts(user=user)}

    assert counts(county.clerk) == {"senior_title": (2, True), "hardship": (0, False)}
    assert counts(county.officer_a) == {"senior_title": (1, True), "hardship": (0, False)}


def test_the_adjustment_reads_the_current_flags_by_code(county, senior, hardship):
    """The dry run's query (pensions.selectors.adjustments) collects current codes: what a clerk sets here is
    what it reads."""
    flag_add(retiree=county.retiree_a1, kind=senior, note="", by=county.clerk)
    flag_add(retiree=county.retiree_a1, kind=hardship, note="", by=county.clerk)
    removed = flag_add(retiree=county.retiree_a2, kind=hardship, note="", by=county.clerk)
    flag_remove(flag=removed, by=county.clerk, note="迁出")
    current = {
        (flag.retiree_id, flag.kind.code)
        for flag in RetireeFlag.objects.filter(removed_at__isnull=True).select_related("kind")
    }
    assert current == {(county.retiree_a1.pk, "senior_title"), (county.retiree_a1.pk, "hardship")}


# The audit log ------------------------------------------------------------------------------------


def test_setting_and_removing_appear_in_the_audit_log(county, senior):
    flag = flag_add(retiree=county.retiree_a1, kind=senior, note="证书 360721195803140010", by=county.clerk)
    flag_remove(flag=flag, by=county.admin, note="核查不实")

    rows = audit_log_page(filters=AuditLogFilters(kind="retiree_flag")).rows

    assert [(row.action, row.who, row.subject) for row in rows] == [
        ("取消标记", county.admin.display_name, "高级职称"),
        ("设置标记", county.clerk.display_name, "高级职称"),
    ]
    assert rows[0].retiree == f"张建国 {county.retiree_a1.masked_id_number}"
    assert "360721195803140010" not in rows[1].note  # a long number in a note is masked
    by_admin = audit_log_page(filters=AuditLogFilters(kind="retiree_flag", staff_id=county.admin.pk)).rows
    assert [row.action for row in by_admin] == ["取消标记"]


# The demo county ----------------------------------------------------------------------------------


def test_the_demo_county_puts_its_two_flags_on_a_few_people_once(db):
    from registry.demo_county import FLAG_PEOPLE, seed_demo_county

    as_of = datetime.date(2026, 6, 30)
    seed_demo_county(retirees=400, seed=7, as_of=as_of)
    first = set(RetireeFlag.objects.values_list("retiree__id_number", "kind__code"))
    again = seed_demo_county(retirees=400, seed=7, as_of=as_of)

    assert set(FlagKind.objects.values_list("code", "name")) == {
        ("senior_title", "高级职称"),
        ("hardship", "艰苦边远地区"),
    }
    assert 2 <= len(first) <= FLAG_PEOPLE
    assert {code for _number, code in first} == {"senior_title", "hardship"}
    assert again.created.get("retiree_flags", 0) == 0
    assert set(RetireeFlag.objects.values_list("retiree__id_number", "kind__code")) == first
    assert Retiree.objects.count() == 400
