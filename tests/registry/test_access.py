"""What each persona may see and do, decided in registry.access."""

import pytest
from django.http import Http404

from registry.access import (
    Action,
    actions_of,
    can,
    get_visible_retiree_or_404,
    retirees_visible_to,
    visible_townships,
)
from registry.models import Staff
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def names(queryset):
    return sorted(r.name for r in queryset)


def test_county_roles_see_every_retiree(county):
    for staff in (county.admin, county.clerk, county.reviewer, county.auditor):
        assert names(retirees_visible_to(staff)) == ["张建国", "李秀兰", "王德胜"]


def test_a_township_officer_sees_only_their_township(county):
    assert names(retirees_visible_to(county.officer_a)) == ["张建国", "李秀兰"]
    assert names(retirees_visible_to(county.officer_b)) == ["王德胜"]


def test_a_community_station_sees_only_its_community(county):
    assert names(retirees_visible_to(county.station_a1)) == ["张建国"]


def test_a_retiree_of_another_township_is_404_not_403(county):
    with pytest.raises(Http404):
        get_visible_retiree_or_404(county.officer_a, county.retiree_b1.pk)
    assert get_visible_retiree_or_404(county.officer_b, county.retiree_b1.pk) == county.retiree_b1


def test_townships_visible(county):
    assert list(visible_townships(county.officer_a)) == [county.township_a]
    assert set(visible_townships(county.clerk)) == {county.township_a, county.township_b}
    assert list(visible_townships(county.station_a1)) == []


def test_an_account_without_role_or_unit_sees_and_does_nothing(county):
    no_role = StaffFactory(username="newcomer", role="", org_unit=county.county)
    no_unit = StaffFactory(username="floating", role=Staff.Role.BUREAU_CLERK, org_unit=None)
    for staff in (no_role, no_unit):
        assert actions_of(staff) == frozenset()
        assert retirees_visible_to(staff).count() == 0


def test_an_inactive_account_sees_nothing(county):
    county.clerk.is_active = False
    assert retirees_visible_to(county.clerk).count() == 0


def test_roles_do_what_domain_md_says(county):
    assert can(county.admin, Action.MANAGE_SETTINGS)
    assert can(county.clerk, Action.EDIT_REGISTRY) and not can(county.clerk, Action.APPROVE_PAYMENTS)
    assert can(county.reviewer, Action.APPROVE_PAYMENTS) and not can(county.reviewer, Action.PREPARE_PAYMENTS)
    assert can(county.officer_a, Action.CERTIFY) and not can(county.officer_a, Action.EDIT_REGISTRY)
    assert actions_of(county.auditor) == {Action.VIEW_REGISTRY, Action.VIEW_SENSITIVE, Action.VIEW_AUDIT}
    assert not can(county.officer_a, Action.VIEW_SENSITIVE)


def test_anonymous_may_do_nothing(county):
    from django.contrib.auth.models import AnonymousUser

    assert actions_of(AnonymousUser()) == frozenset()
    assert retirees_visible_to(AnonymousUser()).count() == 0
