"""The certification tables in the Django admin, read-only for everyone: every write goes through
certification.services (the campaign page validates and logs campaign changes; certify() restores and pays
back). The admin is for looking things up."""

from __future__ import annotations

from django.contrib import admin

from registry.admin import ReadOnlyAdmin

from .models import (
    Campaign,
    Certification,
    CertificationImport,
    DeathMatch,
    RemoteBatch,
    RemoteBatchMember,
    SuspensionNotice,
    SuspensionRun,
)


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("year", "window_start", "window_end", "remote_export_deadline", "suspension_date", "mode")


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = ("retiree", "year", "certified_on", "channel", "recorded_by", "recorded_at")
    list_filter = ("year", "channel")
    search_fields = ("retiree__id_number__startswith", "retiree__name__startswith")
    list_select_related = ("retiree", "recorded_by")


@admin.register(SuspensionRun)
class SuspensionRunAdmin(ReadOnlyAdmin):
    list_display = ("year", "started_at", "finished_at", "suspended_count")


@admin.register(SuspensionNotice)
class SuspensionNoticeAdmin(ReadOnlyAdmin):
    list_display = ("run", "township", "notice_count", "made_at")
    list_select_related = ("run", "township")


@admin.register(RemoteBatch)
class RemoteBatchAdmin(ReadOnlyAdmin):
    list_display = ("year", "status", "member_count", "made_by", "made_at")
    list_filter = ("year", "status")
    list_select_related = ("made_by",)


@admin.register(RemoteBatchMember)
class RemoteBatchMemberAdmin(ReadOnlyAdmin):
    list_display = ("batch", "name", "remote_province", "remote_city")
    search_fields = ("name__startswith",)
    list_select_related = ("batch",)


@admin.register(CertificationImport)
class CertificationImportAdmin(ReadOnlyAdmin):
    list_display = ("kind", "year", "original_name", "status", "total_rows", "matched_rows", "uploaded_at")
    list_filter = ("kind", "status", "year")


@admin.register(DeathMatch)
class DeathMatchAdmin(ReadOnlyAdmin):
    list_display = ("reported_name", "retiree", "reported_died_on", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("retiree", "decided_by")
