"""The history event lists of the admin site and the paginator that never counts a whole table."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.admin import LOOKAHEAD_PAGES, LookaheadPaginator
from registry.models import Retiree

pytestmark = pytest.mark.django_db

RetireeEvent = Retiree.pgh_event_model  # type: ignore[attr-defined]
CHANGELIST = "admin:registry_retireeevent_changelist"


@pytest.fixture
def admin_client(client, county):
    client.force_login(county.admin)
    return client


@pytest.fixture
def events(county):
    """Seven phone changes of 李 (retiree_a1), one event each, on top of the events of the county's setup."""
    retiree = county.retiree_a1
    for n in range(7):
        retiree.phone = f"1390000000{n}"
        retiree.save(update_fields=["phone"])
    return list(RetireeEvent.objects.order_by("-pgh_id").values_list("pgh_id", flat=True))


def test_the_paginator_counts_only_up_to_its_reach():
    paginator = LookaheadPaginator(list(range(100)), 10, reach=31)
    assert (paginator.count, paginator.num_pages, paginator.exact) == (31, 4, False)
    short = LookaheadPaginator(list(range(25)), 10, reach=31)
    assert (short.count, short.num_pages, short.exact) == (25, 3, True)


def test_the_event_list_is_newest_first_and_read_only(admin_client, events):
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    cl = response.context["cl"]
    assert [event.pgh_id for event in cl.result_list] == events
    assert cl.full_result_count is None
    assert (cl.result_count, cl.paginator.exact) == (len(events), True)
    html = response.content.decode()
    assert "13900000006" not in html  # the list shows ids, labels and times, not the rows' data
    assert admin_client.get(reverse("admin:registry_retireeevent_add")).status_code == 403


def test_a_page_counts_a_few_pages_ahead_not_the_table(admin_client, events, monkeypatch):
    monkeypatch.setattr("registry.admin.HistoryEventAdmin.list_per_page", 2)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(reverse(CHANGELIST), {"p": "2"})
    cl = response.context["cl"]
    # Page 2 of 2-row pages with five pages of look-ahead: at most (2 + 5) × 2 + 1 rows are counted.
    reach = (2 + LOOKAHEAD_PAGES) * 2 + 1
    assert cl.result_count == min(len(events), reach)
    assert [event.pgh_id for event in cl.result_list] == events[2:4]
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the page counts its reach"
    assert all(re.search(rf"LIMIT {reach}\b", sql) for sql in counts), counts


def test_only_the_bureau_admin_reads_the_event_lists(client, county, events):
    client.force_login(county.clerk)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
