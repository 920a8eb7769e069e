"""The admin site: the bureau admin's settings tables, and a read-only window on the registry.

Only bureau admins have is_staff, so only they reach /admin/. Registry tables are read-only here: their
changes go through registry.services and maker-checker, which the admin's generic forms would bypass.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UsernameField
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .errors import StaffError
from .models import (
    Agent,
    Bank,
    BankAccount,
    Employer,
    OrgUnit,
    PensionRate,
    RegistrySnapshot,
    Retiree,
    Staff,
    StatusChange,
)
from .services import staff_reaches_admin_site, staff_validate_role_unit

admin.site.site_header = _("企业退休人员社会化管理服务 · 系统管理")
admin.site.site_title = _("系统管理")
admin.site.index_title = _("设置与登记表")
# The index links to the county-wide audit log, which replaces pghistory's events page (too slow to count).
admin.site.index_template = "admin/index_with_audit_log.html"


# Settings tables --------------------------------------------------------------------------------------------


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "sort_order")
    list_filter = ("kind",)
    search_fields = ("code__startswith", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "channel", "is_active")
    list_filter = ("channel", "is_active")
    search_fields = ("code", "name")


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "contact_person", "contact_phone")
    search_fields = ("name", "credit_code__startswith")


class StaffRoleUnitMixin(forms.ModelForm):
    """Refuses what registry.services.staff_create refuses: a role at the wrong level of the unit tree."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank role or unit is allowed in the model (an account being set up); here both are chosen.
        for name in ("role", "org_unit"):
            if name in self.fields:
                self.fields[name].required = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        role, org_unit = self.cleaned_data.get("role"), self.cleaned_data.get("org_unit")
        if role and org_unit:
            try:
                staff_validate_role_unit(role=role, org_unit=org_unit)
            except StaffError as error:
                self.add_error(error.field, error.message)
        return self.cleaned_data


class StaffCreationForm(StaffRoleUnitMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Staff
        fields = ("username", "last_name", "first_name", "role", "org_unit", "phone")


class StaffChangeForm(StaffRoleUnitMixin, UserChangeForm):
    class Meta:
        model = Staff
        field_classes = {"username": UsernameField}
        fields = (
            "username",
            "password",
            "last_name",
            "first_name",
            "phone",
            "email",
            "role",
            "org_unit",
            "is_active",
        )


@admin.register(Staff)
class StaffAdmin(UserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    # is_staff and is_superuser follow the role (save_model), as in staff_create; groups and per-user
    # permissions are not used: the role decides (registry.access).
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("姓名与联系方式"), {"fields": ("last_name", "first_name", "phone", "email")}),
        (_("岗位"), {"fields": ("role", "org_unit", "is_active")}),
        (_("登录记录"), {"fields": ("last_login", "date_joined", "is_staff", "is_superuser")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "last_name",
                    "first_name",
                    "role",
                    "org_unit",
                    "phone",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined", "is_staff", "is_superuser")
    list_display = ("username", "display_name", "role", "org_unit", "is_active", "last_login")
    list_filter = ("role", "org_unit__kind", "is_active")
    search_fields = ("username", "last_name", "first_name", "phone")
    autocomplete_fields = ("org_unit",)
    list_select_related = ("org_unit",)
    filter_horizontal = ()

    @admin.display(description=_("姓名"))
    def display_name(self, obj: Staff) -> str:
        return obj.display_name

    def save_model(self, request: HttpRequest, obj: Staff, form: forms.ModelForm, change: bool) -> None:
        obj.is_staff = obj.is_superuser = staff_reaches_admin_site(obj.role)
        super().save_model(request, obj, form, change)


# Registry tables: read-only ---------------------------------------------------------------------------------


class LookaheadPaginator(Paginator):
    """Counts only as far as a few pages past the one asked for (`reach` rows), never the whole table: at a
    million rows Django's COUNT(*) of every page view costs more than the page. The page links stop at the
    last page counted and move on as the reader does; `exact` says whether the count reached the end."""

    def __init__(self, object_list: Any, per_page: int, *, reach: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.reach = reach

    @cached_property
    def count(self) -> int:
        head = self.object_list[: self.reach]
        return head.count() if isinstance(head, QuerySet) else len(head)

    @property
    def exact(self) -> bool:
        return self.count < self.reach


# Pages counted past the one shown, so "next" and a few page links are there without a full count.
LOOKAHEAD_PAGES = 5


class LookaheadPagingAdmin(admin.ModelAdmin):
    """A changelist for a table of a million rows: no full count (show_full_result_count) and a paginator
    that counts only up to a few pages ahead."""

    show_full_result_count = False

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> LookaheadPaginator:
        raw = request.GET.get(PAGE_VAR, "1")
        page = int(raw) if raw.isdigit() else 1
        return LookaheadPaginator(
            queryset,
            per_page,
            reach=(page + LOOKAHEAD_PAGES) * per_page + 1,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )


class ReadOnlyAdmin(LookaheadPagingAdmin):
    # A million retirees: an exact count for every filtered page costs more than it tells.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Retiree)
class RetireeAdmin(ReadOnlyAdmin):
    list_display = ("id_number", "name", "sex", "community", "status", "residence", "certificate_number")
    list_filter = ("status", "residence", "sex")
    search_fields = ("id_number__startswith", "name__startswith", "certificate_number__startswith")
    list_select_related = ("community",)


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "retiree",
        "bank",
        "account_number",
        "holder_name",
        "is_current",
        "valid_from",
        "valid_until",
    )
    list_filter = ("bank", "is_current")
    search_fields = (
        "retiree__id_number__startswith",
        "retiree__name__startswith",
        "account_number__startswith",
    )
    list_select_related = ("retiree", "bank")


@admin.register(Agent)
class AgentAdmin(ReadOnlyAdmin):
    list_display = ("name", "relation", "retiree", "is_current", "valid_from", "valid_until")
    list_filter = ("is_current",)
    search_fields = ("retiree__id_number__startswith", "retiree__name__startswith", "name__startswith")
    list_select_related = ("retiree",)


@admin.register(PensionRate)
class PensionRateAdmin(ReadOnlyAdmin):
    list_display = ("retiree", "month", "amount", "reason", "created_by", "created_at")
    list_filter = ("reason",)
    search_fields = ("retiree__id_number__startswith", "retiree__name__startswith")
    list_select_related = ("retiree", "created_by")

    @admin.display(description=_("起始月份"), ordering="effective_month")
    def month(self, obj: PensionRate) -> str:
        return str(obj.effective_month)


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("retiree", "from_status", "to_status", "effective_date", "reason", "actor", "created_at")
    list_filter = ("to_status",)
    search_fields = ("retiree__id_number__startswith", "retiree__name__startswith")
    list_select_related = ("retiree", "actor")


@admin.register(RegistrySnapshot)
class RegistrySnapshotAdmin(ReadOnlyAdmin):
    list_display = ("taken_on", "township", "status", "count")
    list_filter = ("status", ("township", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "taken_on"
    list_select_related = ("township",)
    ordering = ("-taken_on", "township__sort_order", "status")


# History events (pghistory) ---------------------------------------------------------------------------------
# pghistory's own admin (pghistory.admin, not installed) pages a union of every event table, computing each
# event's diff against the one before, and counts it: it did not answer on a county of 30,000. Each event
# table gets a plain read-only list instead, newest first along its primary key, paged without a full count.


class HistoryEventAdmin(LookaheadPagingAdmin):
    list_display = ("pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "acting_user")
    list_display_links = None
    list_select_related = ("pgh_context",)
    ordering = ("-pgh_id",)
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=_("操作人"))
    def acting_user(self, event: Any) -> str:
        """The signed-in user's id the middleware put in the event's context; blank for jobs and imports."""
        context = getattr(event, "pgh_context", None)
        if context is None:
            return ""
        return str(context.metadata.get("user") or "")


def register_history_admins() -> None:
    """Every pghistory event table that points at a tracked row and a context (every @pghistory.track of the
    project); called when the admin is loaded, after every app is ready."""
    from pghistory.models import Event

    for model in django_apps.get_models():
        if not issubclass(model, Event) or admin.site.is_registered(model):
            continue
        names = {field.name for field in model._meta.get_fields()}
        if {"pgh_obj", "pgh_context"} <= names:
            admin.site.register(model, HistoryEventAdmin)


register_history_admins()
