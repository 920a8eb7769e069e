"""The search box: each kind of query finds the right people, within the scope, each once, in list order."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection

from registry.models import Bank, Retiree
from registry.selectors import RetireeFilters, retiree_list, retiree_search
from registry.selectors import retirees as retirees_module
from registry.services import retiree_search_keys_rebuild
from tests.conftest import County
from tests.factories import BankAccountFactory, BankFactory, RetireeFactory


@pytest.fixture
def people(county: County) -> dict[str, Any]:
    """Township A: 张伟, 曾国华, 单立新, 伟明 (伟 first), 张行 (行 reads xing and hang), 欧阳国华.
    Township B: 张伟 too (a namesake), plus the county fixture's three."""
    a1, a2, b1 = county.community_a1, county.community_a2, county.community_b1
    found = {
        "zhang_wei": RetireeFactory(name="张伟", community=a1),
        "zeng": RetireeFactory(name="曾国华", community=a1),
        "shan": RetireeFactory(
            name="单立新", community=a2, residence="remote", remote_address="深圳市宝安区"
        ),
        "wei_ming": RetireeFactory(name="伟明", community=a2),
        "zhang_xing": RetireeFactory(name="张行", community=a1),
        "ouyang": RetireeFactory(name="欧阳国华", community=a1),
        "zhang_wei_b": RetireeFactory(name="张伟", community=b1),
    }
    retiree_search_keys_rebuild()
    return found


def names(user, **filters) -> list[str]:
    return [retiree.name for retiree in retiree_list(user=user, filters=RetireeFilters(**filters)).retirees]


def pks(user, **filters) -> list[int]:
    return [retiree.pk for retiree in retiree_list(user=user, filters=RetireeFilters(**filters)).retirees]


# --- names ------------------------------------------------------------------------------------------------


def test_a_whole_name_finds_everyone_of_that_name_in_scope(county, people):
    assert sorted(pks(county.clerk, q="张伟")) == sorted([people["zhang_wei"].pk, people["zhang_wei_b"].pk])
    assert pks(county.officer_a, q="张伟") == [people["zhang_wei"].pk]
    assert pks(county.officer_b, q="张伟") == [people["zhang_wei_b"].pk]


def test_one_character_finds_names_starting_with_it_first_then_holding_it(county, people):
    assert names(county.officer_a, q="伟") == ["伟明", "张伟"]


def test_a_name_prefix(county, people):
    assert names(county.officer_a, q="张") == ["张伟", "张建国", "张行"]


def test_a_two_character_piece_in_the_middle(county, people):
    assert names(county.officer_a, q="国华") == ["曾国华", "欧阳国华"]


def test_three_characters_anywhere_in_a_longer_name(county, people):
    assert names(county.officer_a, q="阳国华") == ["欧阳国华"]
    assert names(county.officer_a, q="欧阳国") == ["欧阳国华"]
    assert names(county.officer_a, q="国华欧") == []


def test_spaces_typed_inside_a_name_are_ignored(county, people):
    assert names(county.officer_a, q=" 曾 国华 ") == ["曾国华"]


# --- pinyin ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["zeng", "ceng", "zengguohua", "CengGuo", "zgh", "cgh", "ceng guo"])
def test_zeng_is_found_by_both_readings_and_their_initials(county, people, query):
    assert names(county.officer_a, q=query) == ["曾国华"]


@pytest.mark.parametrize("query", ["dan", "shan", "danlixin", "shanli", "dlx", "slx"])
def test_shan_is_found_by_dan_and_shan(county, people, query):
    assert names(county.officer_a, q=query) == ["单立新"]


def test_a_name_matched_by_several_readings_is_listed_once(county, people):
    # 张行 has the keys zhangxing and zhanghang, both starting with zhang.
    assert names(county.officer_a, q="zhang") == ["张行", "张建国", "张伟"]
    assert retiree_list(user=county.officer_a, filters=RetireeFilters(q="zhang")).count == 3


def test_pinyin_full_then_initials(county, people):
    # "zh" starts the full pinyin of 张…; as initials it would need a given name starting with h: 张行 (hang).
    assert names(county.officer_a, q="zh") == ["张行", "张建国", "张伟"]
    assert names(county.officer_a, q="zx") == ["张行"]


# --- numbers ----------------------------------------------------------------------------------------------


def test_an_id_prefix_and_a_lower_case_x(county, people):
    with_x = RetireeFactory(
        name="赵晓", community=county.community_a1, id_number="36072119520101001X", sex="M"
    )
    assert names(county.officer_a, q="36072119520101001x") == ["赵晓"]
    assert names(county.officer_a, q="3607211952") == ["赵晓"]
    assert pks(county.officer_b, q="36072119520101001x") == []
    assert with_x.id_number.endswith("X")


def test_an_id_prefix_lists_in_id_number_order(county, people):
    in_a = Retiree.objects.filter(community__parent=county.township_a).order_by("id_number")
    assert pks(county.officer_a, q="3607") == [r.pk for r in in_a]


def test_an_old_15_digit_number_finds_the_18_digit_one(county):
    RetireeFactory(name="钱老", community=county.community_a1, id_number="360721195003140012", sex="M")
    assert names(county.officer_a, q="360721500314001") == ["钱老"]


def test_a_certificate_number_prefix(county, people):
    Retiree.objects.filter(pk=people["zeng"].pk).update(certificate_number="360721201800007")
    Retiree.objects.filter(pk=people["shan"].pk).update(certificate_number="JX2019000001")
    assert names(county.officer_a, q="36072120180") == ["曾国华"]
    assert names(county.officer_a, q="JX2019") == ["单立新"]


def test_an_account_number_finds_current_and_earlier_accounts_exactly(county, people):
    bank = BankFactory()
    BankAccountFactory(
        retiree=people["zeng"],
        bank=bank,
        account_number="6217990000000011",
        is_current=False,
        valid_until=datetime.date(2022, 1, 1),
    )
    BankAccountFactory(retiree=people["zeng"], bank=bank, account_number="6217990000000029")
    assert names(county.officer_a, q="6217990000000011") == ["曾国华"]
    assert names(county.officer_a, q="6217990000000029") == ["曾国华"]
    assert names(county.officer_a, q="621799000000002") == []  # not a prefix search
    assert names(county.officer_b, q="6217990000000029") == []


# --- filters ------------------------------------------------------------------------------------------------


def test_the_community_filter(county, people):
    assert set(names(county.clerk, q="zhang", community_id=county.community_a1.pk)) == {
        "张伟",
        "张行",
        "张建国",
    }
    assert names(county.clerk, q="zhang", community_id=county.community_b1.pk) == ["张伟"]


def test_the_residence_filter(county, people):
    assert names(county.officer_a, residence="remote") == ["单立新"]
    assert "单立新" not in names(county.officer_a, residence="local")


def test_the_status_and_bank_filters_with_a_search(county, people):
    ccb = BankFactory(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY)
    BankAccountFactory(retiree=people["zhang_xing"], bank=ccb)
    Retiree.objects.filter(pk=people["zhang_wei"].pk).update(status=Retiree.Status.SUSPENDED)
    assert names(county.officer_a, q="zhang", bank_id=ccb.pk) == ["张行"]
    assert names(county.officer_a, q="zhang", status="suspended") == ["张伟"]


def test_a_township_or_community_outside_the_scope_widens_nothing(county, people):
    assert names(county.officer_a, q="张伟", township_id=county.township_b.pk) == []
    assert names(county.officer_a, q="张伟", community_id=county.community_b1.pk) == []


# --- pages and the capped count --------------------------------------------------------------------------


def test_pages_continue_without_repeats(county, people):
    # 张伟 ×2, 张建国, 张行 by full pinyin; 张行 again by its initials zh(ang): listed once.
    first = retiree_list(user=county.clerk, filters=RetireeFilters(q="zh"), page=1, page_size=3)
    second = retiree_list(user=county.clerk, filters=RetireeFilters(q="zh"), page=2, page_size=3)
    everyone = [r.pk for r in first.retirees + second.retirees]
    assert len(everyone) == len(set(everyone)) == 4
    assert (first.has_next, second.has_next, second.has_previous) == (True, False, True)
    assert (first.count, first.count_is_exact, first.count_is_capped) == (4, True, False)


def test_the_count_stops_at_the_cap(county, people, monkeypatch):
    monkeypatch.setattr(retirees_module, "COUNT_CAP", 3)
    page = retiree_list(user=county.clerk, filters=RetireeFilters(), page=1, page_size=2)
    assert (page.count, page.count_is_capped, page.has_next) == (3, True, True)


def test_a_count_that_ran_out_of_budget_says_it_is_a_floor(county, people, monkeypatch):
    # Township A's officer searching "zh": the first key rows in order belong to township B's namesake and
    # A's people alike; with a budget of 1 key row the count cannot be exact.
    monkeypatch.setattr(retirees_module, "COUNT_SCAN_BUDGET", 1)
    page = retiree_list(user=county.officer_a, filters=RetireeFilters(q="zh"), page=1, page_size=1)
    assert page.has_next is True
    assert page.count_is_exact is False
    assert page.count == 2  # the page read two of them (one shown, one says "next"): a floor


def test_every_match_streams_for_an_export_each_once(county, people):
    search = retiree_search(user=county.officer_a, filters=RetireeFilters(q="zhang"))
    assert list(search.all_ids()) == [
        r.pk for r in retiree_list(user=county.officer_a, filters=search.filters).retirees
    ]


# --- plans ------------------------------------------------------------------------------------------------


@pytest.fixture
def many_people(county: County) -> None:
    """20,000 people with keys, analysed: enough rows for the planner to choose as it would at scale, few
    enough for a test. Audit triggers are skipped for the load (replica role, this transaction only)."""
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟强军明华平建国文德福志勇海林生春贵荣金忠庆兴学永新光",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO registry_retiree (id_number, id_number_original, name, sex, birth_date, phone,
                address, community_id, residence, remote_province, remote_city, remote_address,
                retirement_date, contribution_months, photo, status, created_at, updated_at)
            SELECT 'T' || lpad(n::text, 17, '0'), '', substr(%s, n %% 20 + 1, 1) || substr(%s, n %% 31 + 1, 1)
                   || substr(%s, (n / 31) %% 31 + 1, 1), 'M', '1950-01-01', '', '',
                   CASE WHEN n %% 2 = 0 THEN %s ELSE %s END, 'local', '', '', '', '2010-01-31', 300, '',
                   'active', now(), now()
            FROM generate_series(1, 20000) AS n
            """,
            [surnames, given, given, county.community_a1.pk, county.community_b1.pk],
        )
    retiree_search_keys_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_retiree")
        cursor.execute("ANALYZE registry_retireesearchkey")


def row_estimate(plan_line: str) -> int:
    match = re.search(r"rows=(\d+)", plan_line)
    assert match, plan_line
    return int(match.group(1))


@pytest.mark.parametrize("query", ["伟", "张伟", "zhangw", "zh"])
@pytest.mark.parametrize("persona", ["clerk", "officer_a"])
def test_a_page_of_a_name_search_is_an_ordered_read_of_the_key_index(county, many_people, query, persona):
    """EXPLAIN of the statements that read a page: each walks the search-key B-tree in its order and stops at
    the LIMIT (no Sort node over the matches, no sequential scan of the retiree table). The count's statements
    are not checked here: on 20,000 rows a hash join over a sequential scan is the planner's right choice for
    them; bench/search.py checks every statement's plan on 1,000,000."""
    user = getattr(county, persona)
    search = retiree_search(user=user, filters=RetireeFilters(q=query))
    for branch in search.branches:
        sql, params = branch.queryset.values_list("pk", flat=True)[:51].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "searchkey_unique" in plan, plan
        assert "Seq Scan on registry_retiree" not in plan, plan
        # A Sort is fine only over matches the planner knows to be few (an exact 2-character piece on this
        # small table): what must never happen is sorting a broad prefix's every match to show 50 of them.
        assert all(row_estimate(line) <= 200 for line in plan.splitlines() if "Sort  (" in line), plan
        assert plan.startswith("Limit"), plan
