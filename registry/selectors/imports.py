"""Reads of import batches. Who may see a batch follows the same rule as retirees: a county clerk sees every
batch, anyone else the batches uploaded by people of their own unit's subtree (registry.access)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .. import access
from ..access import Action
from ..models import ImportBatch


def import_batches_visible_to(user: Any) -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.select_related("uploaded_by", "confirmed_by")
    if not access.can(user, Action.EDIT_REGISTRY):
        return batches.none()
    if access.sees_whole_county(user):
        return batches
    return batches.filter(uploaded_by__org_unit__in=access.visible_units(user))


def get_visible_import_batch_or_404(user: Any, pk: int) -> ImportBatch:
    try:
        return import_batches_visible_to(user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
