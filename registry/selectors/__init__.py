"""Reads of the registry. Each starts from what the user may see (registry.access)."""

from .audit import AuditEntry, AuditPage, may_view_audit, retiree_audit
from .changes import change_request_for, change_request_queue, change_requests_awaiting, rate_change_effect
from .counts import community_counts, county_name, status_counts, township_counts
from .records import change_value_text, current_agent, current_bank_account, current_rate, retiree_detail
from .retirees import (
    COUNT_CAP,
    MAX_PAGE,
    SORTS,
    RetireeFilters,
    RetireePage,
    RetireeSearch,
    retiree_list,
    retiree_search,
    retirees_in_order,
    valid_sort,
    with_list_columns,
)
from .units import UNIT_ORDER, community_order, in_unit_order, unit_order, unit_sort_key

__all__ = [
    "change_request_for",
    "change_request_queue",
    "change_requests_awaiting",
    "rate_change_effect",
    "AuditEntry",
    "AuditPage",
    "COUNT_CAP",
    "MAX_PAGE",
    "SORTS",
    "valid_sort",
    "RetireeFilters",
    "RetireePage",
    "RetireeSearch",
    "community_counts",
    "change_value_text",
    "county_name",
    "current_agent",
    "current_bank_account",
    "current_rate",
    "may_view_audit",
    "retiree_audit",
    "retiree_detail",
    "retiree_list",
    "retiree_search",
    "retirees_in_order",
    "status_counts",
    "township_counts",
    "with_list_columns",
    "UNIT_ORDER",
    "community_order",
    "in_unit_order",
    "unit_order",
    "unit_sort_key",
]
