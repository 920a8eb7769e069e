"""The retiree list's sorting, page count and jump (registry.selectors.retirees, docs/search.md "Sorting"):
exact orders, the API in step, and plans that read an index instead of sorting the county."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client, override_settings

from registry.models import Retiree
from registry.selectors import RetireeFilters, retiree_list, retiree_search
from registry.selectors import retirees as retirees_module
from registry.services import retiree_search_keys_rebuild
from tests.conftest import County
from tests.registry.test_search import many_people  # noqa: F401  # 20,000 analysed people, shared

pytestmark = pytest.mark.django_db


@pytest.fixture
def dated(county: County) -> County:
    """The county's three people with retirement dates of their own; 梅林镇 numbered before 城关镇."""
    for retiree, day in (
        (county.retiree_a1, datetime.date(2012, 3, 31)),  # 张建国, 城关镇 / 东街社区
        (county.retiree_a2, datetime.date(2001, 8, 31)),  # 李秀兰, 城关镇 / 西街社区
        (county.retiree_b1, datetime.date(2019, 1, 31)),  # 王德胜, 梅林镇 / 梅林村
    ):
        Retiree.objects.filter(pk=retiree.pk).update(retirement_date=day)
    county.township_a.sort_order, county.township_b.sort_order = 2, 1
    county.township_a.save(update_fields=["sort_order"])
    county.township_b.save(update_fields=["sort_order"])
    retiree_search_keys_rebuild()
    return county


def names(county: County, sort: str, q: str = "", user: str = "clerk") -> list[str]:
    page = retiree_list(user=getattr(county, user), filters=RetireeFilters(q=q, sort=sort))
    return [retiree.name for retiree in page.retirees]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["张建国", "李秀兰", "王德胜"]),  # the list's own order: ID number (the factory's birth order)
        ("name", ["李秀兰", "王德胜", "张建国"]),  # pinyin: li, wang, zhang (Unicode order is 张 李 王)
        ("-name", ["张建国", "王德胜", "李秀兰"]),
        ("retirement_date", ["李秀兰", "张建国", "王德胜"]),
        ("-retirement_date", ["王德胜", "张建国", "李秀兰"]),
        ("township", ["王德胜", "张建国", "李秀兰"]),  # 梅林镇 first, then 城关镇's 东街 before 西街
        ("-township", ["李秀兰", "张建国", "王德胜"]),
    ],
)
def test_the_plain_list_sorts_by_the_column_asked_for(dated, sort, expected):
    ids = list(Retiree.objects.order_by("id_number").values_list("name", flat=True))
    if sort == "":
        expected = ids
    assert names(dated, sort) == expected


def test_an_unknown_sort_keeps_the_lists_own_order(dated):
    assert names(dated, "birth_date; DROP TABLE") == names(dated, "")


def test_a_search_is_sorted_within_its_matches(dated):
    assert names(dated, "-retirement_date", q="秀") == ["李秀兰"]
    assert names(dated, "name", q="3607") == [
        "李秀兰",
        "王德胜",
        "张建国",
    ]  # an ID prefix every one of them shares
    assert names(dated, "-name", q="3607") == ["张建国", "王德胜", "李秀兰"]


def test_a_search_with_more_matches_than_the_cap_keeps_its_reading_order(dated, monkeypatch):
    monkeypatch.setattr(retirees_module, "COUNT_CAP", 2)
    page = retiree_list(user=dated.clerk, filters=RetireeFilters(q="3607", sort="name"))
    assert page.sort_applied is False
    assert [r.name for r in page.retirees] == names(dated, "", q="3607")


def test_the_page_count_and_a_page_past_the_end(dated):
    user = dated.clerk
    first = retiree_list(user=user, filters=RetireeFilters(sort="name"), page=1, page_size=2)
    assert (first.number, first.num_pages, first.total_is_known, first.max_page) == (1, 2, True, 2)
    past = retiree_list(user=user, filters=RetireeFilters(sort="name"), page=9, page_size=2)
    assert (past.number, [r.name for r in past.retirees], past.has_next) == (2, ["张建国"], False)


def test_a_township_officer_sorts_only_their_own_people(dated):
    assert names(dated, "township", user="officer_a") == ["张建国", "李秀兰"]
    assert names(dated, "-name", user="officer_b") == ["王德胜"]


@override_settings(RETIREE_LIST_PAGE_SIZE=2)
def test_the_page_shows_page_of_pages_sort_headers_and_the_jump_box(dated):
    client = Client()
    client.force_login(dated.clerk)
    html = client.get("/retirees/", {"sort": "-name", "status": "active"}).content.decode()
    assert "第 1 页 / 共 2 页" in html
    assert 'aria-sort="descending" data-sort="name"' in html
    assert 'href="?sort=name&amp;status=active"' in html  # the header turns the sort around
    assert 'id="page-jump"' in html and 'max="2"' in html
    assert '<input type="hidden" name="sort" value="-name">' in html  # the jump keeps the sort
    assert '<input type="hidden" name="sort" id="id_sort" value="-name">' in html  # and so do the filters
    second = client.get("/retirees/", {"sort": "-name", "page": "2"}, headers={"HX-Request": "true"})
    fragment = second.content.decode()
    assert "第 2 页 / 共 2 页" in fragment and "李秀兰" in fragment and "张建国" not in fragment
    assert 'id="id_sort" value="-name" hx-swap-oob="true"' in fragment


def test_the_api_sorts_and_counts_pages_as_the_page_does(dated):
    client = Client()
    client.force_login(dated.clerk)
    body = client.get("/api/retirees/", {"sort": "-retirement_date"}).json()
    assert [item["name"] for item in body["results"]] == ["王德胜", "张建国", "李秀兰"]
    assert (body["page"], body["num_pages"], body["sort"], body["sort_applied"]) == (
        1,
        1,
        "-retirement_date",
        True,
    )
    refused = client.get("/api/retirees/", {"sort": "phone"})
    assert (refused.status_code, refused.json()) == (400, {"sort": ["没有“phone”这种排序。"]})
    too_far = client.get("/api/retirees/", {"page": "1001"})
    assert too_far.status_code == 400


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("name", "retiree_name_pinyin"),
        ("-name", "retiree_name_pinyin"),
        ("retirement_date", "retiree_retirement_date"),
        ("-retirement_date", "retiree_retirement_date"),
        ("id_number", "registry_retiree_id_number"),
    ],
)
def test_a_sorted_page_of_the_county_is_a_limit_over_an_index(county, many_people, sort, index):  # noqa: F811
    search = retiree_search(user=county.clerk, filters=RetireeFilters(sort=sort))
    (branch,) = search.list_branches
    sql, params = branch.queryset.values_list("pk", flat=True)[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.startswith("Limit"), plan
    assert index in plan, plan
    assert "Sort" not in plan and "Seq Scan" not in plan, plan
