"""Reads of county flags (人员标记, docs/flags.md). Counts and rows start from what the user may see."""

from __future__ import annotations

import io
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from .. import access
from ..models import FlagKind, Retiree, RetireeFlag
from ..services.flags import COLUMNS
from ..xlsx import PLAIN_STYLE, Style, xlsx_book


def flag_kinds_with_counts(*, user: Any) -> QuerySet[FlagKind]:
    """Every kind in the bureau's order, with `holders`: the people in the user's scope who carry it now, and
    `used`: whether anyone ever carried it (its code is then fixed)."""
    holders = (
        RetireeFlag.objects.filter(
            kind=OuterRef("pk"),
            removed_at__isnull=True,
            retiree__in=access.retirees_visible_to(user).values("pk"),
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return FlagKind.objects.annotate(
        holders=Coalesce(Subquery(holders, output_field=IntegerField()), Value(0)),
        used=Exists(RetireeFlag.objects.filter(kind=OuterRef("pk"))),
    ).order_by("sort_order", "code")


def active_flag_kinds() -> QuerySet[FlagKind]:
    return FlagKind.objects.filter(is_active=True).order_by("sort_order", "code")


def flags_of(retiree: Retiree) -> list[RetireeFlag]:
    """The person's flags, current ones first, then what was removed, newest first: the tab's history."""
    return list(
        RetireeFlag.objects.filter(retiree=retiree)
        .select_related("kind", "added_by", "removed_by")
        .order_by(F("removed_at").desc(nulls_first=True), "kind__sort_order", "-added_at")
    )


def current_flags_of(retiree: Retiree) -> QuerySet[RetireeFlag]:
    return (
        RetireeFlag.objects.filter(retiree=retiree, removed_at__isnull=True)
        .select_related("kind", "added_by")
        .order_by("kind__sort_order", "kind__code")
    )


def flag_for(*, user: Any, retiree_pk: int, pk: int) -> RetireeFlag:
    """One flag of a person the user may see, or 404 (out of scope answers as not there)."""
    retiree = access.get_visible_retiree_or_404(user, retiree_pk)
    try:
        return RetireeFlag.objects.select_related("retiree", "kind", "added_by", "removed_by").get(
            pk=pk, retiree=retiree
        )
    except RetireeFlag.DoesNotExist:
        raise Http404 from None


_REQUIRED_FILL = "FFF2CC"


def flag_import_template() -> bytes:
    """The import template: the three columns (required ones shaded), one example row, every column formatted
    as text so that pasted ID numbers stay text, and a second sheet listing the kinds by code and name."""
    example = ("360721195803140010", "senior_title", _("职称证书编号 A2023-0456"))
    buffer = io.BytesIO()
    with xlsx_book(buffer) as book:
        sheet = book.sheet(
            str(_("人员标记")), widths=[28] * len(COLUMNS), freeze_header=True, columns_as_text=True
        )
        sheet.append(
            [str(header) for _key, header, _required in COLUMNS],
            style=[
                Style(bold=True, fill="FFF2CC" if required else "") for _key, _header, required in COLUMNS
            ],
        )
        sheet.append([str(value) for value in example], style=Style(text=True))
        kinds = book.sheet(str(_("标记一览")), widths=(20, 24))
        kinds.append([str(_("标记代码")), str(_("标记名称")), str(_("启用"))], style=PLAIN_STYLE)
        for kind in FlagKind.objects.order_by("sort_order", "code"):
            kinds.append(
                [kind.code, kind.name, str(_("是")) if kind.is_active else str(_("否"))], style=PLAIN_STYLE
            )
    return buffer.getvalue()
