"""Every write to the registry. Keyword-only, typed, atomic; refusals are DomainError subclasses."""

from .retirees import retiree_change_status
from .search_keys import retiree_search_keys_rebuild
from .snapshots import registry_snapshot_take
from .staff import staff_create, staff_reaches_admin_site, staff_validate_role_unit

__all__ = [
    "registry_snapshot_take",
    "retiree_change_status",
    "retiree_search_keys_rebuild",
    "staff_create",
    "staff_reaches_admin_site",
    "staff_validate_role_unit",
]
