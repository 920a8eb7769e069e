"""The registry's bulk writes that other apps call: retirees_suspend_many (certification's August job) and
sensitive_views_record_many (a remote batch's upload file and forms PDF)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef

from registry.errors import SensitiveViewError, StatusChangeError
from registry.models import Retiree, SensitiveView, StatusChange
from registry.services import retiree_change_status, retirees_suspend_many, sensitive_views_record_many

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 8, 1)


def statuses(county):
    people = (county.retiree_a1, county.retiree_a2, county.retiree_b1)
    return {person.name: Retiree.objects.get(pk=person.pk).status for person in people}


def test_suspends_the_active_people_of_the_filter_with_one_change_each(county):
    retiree_change_status(
        retiree=county.retiree_a2, to_status="deceased", effective_date=DAY, reason="死亡", by=county.clerk
    )
    township_a = Retiree.objects.filter(community__parent=county.township_a)  # a join: not allowed
    township_a_ids = list(township_a.values_list("pk", flat=True))

    count = retirees_suspend_many(
        retirees=Retiree.objects.filter(pk__in=township_a_ids),
        effective_date=DAY,
        reason="未认证",
        by=county.clerk,
    )

    assert count == 1  # a1; a2 is deceased and stays so; b1 is not in the filter
    assert statuses(county) == {"张建国": "suspended", "李秀兰": "deceased", "王德胜": "active"}
    change = StatusChange.objects.get(retiree=county.retiree_a1)
    assert (change.from_status, change.to_status, change.effective_date, change.reason, change.actor) == (
        "active",
        "suspended",
        DAY,
        "未认证",
        county.clerk,
    )
    # Running it again finds nobody active in the filter and writes nothing.
    again = retirees_suspend_many(
        retirees=Retiree.objects.filter(pk__in=township_a_ids),
        effective_date=DAY,
        reason="未认证",
        by=county.clerk,
    )
    assert (again, StatusChange.objects.filter(to_status="suspended").count()) == (0, 1)


def test_conditions_on_other_tables_go_in_an_exists_subquery(county):
    has_changes = StatusChange.objects.filter(retiree=OuterRef("pk"))
    retiree_change_status(
        retiree=county.retiree_b1, to_status="suspended", effective_date=DAY, reason="旧", by=county.clerk
    )
    retiree_change_status(
        retiree=county.retiree_b1, to_status="active", effective_date=DAY, reason="恢复", by=county.clerk
    )

    count = retirees_suspend_many(
        retirees=Retiree.objects.filter(~Exists(has_changes)),
        effective_date=DAY,
        reason="未认证",
        by=county.clerk,
    )

    assert count == 2
    assert statuses(county) == {"张建国": "suspended", "李秀兰": "suspended", "王德胜": "active"}


def test_a_filter_with_a_join_or_no_reason_is_refused_and_nothing_changes(county):
    with pytest.raises(ValueError, match="retiree table alone"):
        retirees_suspend_many(
            retirees=Retiree.objects.filter(community__parent=county.township_a),
            effective_date=DAY,
            reason="未认证",
            by=county.clerk,
        )
    with pytest.raises(StatusChangeError):
        retirees_suspend_many(retirees=Retiree.objects.all(), effective_date=DAY, reason=" ", by=county.clerk)

    assert statuses(county) == {"张建国": "active", "李秀兰": "active", "王德胜": "active"}
    assert StatusChange.objects.count() == 0


def test_many_full_number_viewings_are_recorded_one_row_per_id(county):
    ids = Retiree.objects.filter(pk__in=[county.retiree_a1.pk, county.retiree_b1.pk]).values_list("pk")

    recorded = sensitive_views_record_many(retiree_ids=ids, field="id_number", by=county.clerk)

    rows = SensitiveView.objects.order_by("retiree_id").values_list("staff_id", "retiree_id", "field")
    assert recorded == 2
    assert list(rows) == [
        (county.clerk.pk, county.retiree_a1.pk, "id_number"),
        (county.clerk.pk, county.retiree_b1.pk, "id_number"),
    ]


def test_a_role_without_full_numbers_or_an_unknown_field_records_nothing(county):
    ids = Retiree.objects.values_list("pk")
    with pytest.raises(PermissionDenied):
        sensitive_views_record_many(retiree_ids=ids, field="id_number", by=county.officer_a)
    with pytest.raises(SensitiveViewError):
        sensitive_views_record_many(retiree_ids=ids, field="phone", by=county.clerk)
    assert SensitiveView.objects.count() == 0
