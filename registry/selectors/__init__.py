"""Reads of the registry. Each starts from what the user may see (registry.access)."""

from .counts import community_counts, county_name, status_counts, township_counts
from .records import current_bank_account, current_rate, retiree_detail
from .retirees import RetireeFilters, retiree_list, with_list_columns

__all__ = [
    "RetireeFilters",
    "community_counts",
    "county_name",
    "current_bank_account",
    "current_rate",
    "retiree_detail",
    "retiree_list",
    "status_counts",
    "township_counts",
    "with_list_columns",
]
