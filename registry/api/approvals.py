"""GET /api/approvals/: the approvals inbox as data, from the same source as the page, the menu badge and the
home card (registry.approvals)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import approvals

# Per kind, as on the page; `count` says how many wait in all.
ITEMS_PER_KIND = 50


class InboxPermission(BasePermission):
    """Whoever may approve at least one kind; everyone else 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return approvals.may_use_inbox(request.user)


class ApprovalItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("审批类别代码,如 payout_plan、change_request"))
    kind_label = serializers.CharField()
    title = serializers.CharField()
    since = serializers.DateTimeField(help_text=_("开始等待审批的时间(提交或申请时间)"))
    prepared_by = serializers.CharField(help_text=_("编制或申请人"))
    url = serializers.CharField(help_text=_("办理页面地址"))


class ApprovalKindSerializer(serializers.Serializer):
    key = serializers.CharField(source="kind.key")
    name = serializers.CharField(source="kind.label", help_text=_("审批类别名称"))
    count = serializers.IntegerField(help_text=_("该类别等待本人审批的件数"))


class InboxSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("等待本人审批的件数合计"))
    kinds = ApprovalKindSerializer(many=True)
    items = ApprovalItemSerializer(many=True, help_text=_("最早的在前;每类最多 50 项"))


class ApprovalInboxApi(APIView):
    permission_classes = [InboxPermission]

    @extend_schema(
        tags=["approvals"],
        summary=_("待我审批"),
        description=_(
            "等待当前用户审批的全部事项(发放计划、信息变更等),最早的在前。"
            "不含本人编制、生成、提交或申请的事项,也不含可见范围以外的事项。只有有审批权限的角色可用。"
        ),
        responses={200: InboxSerializer, 403: OpenApiResponse(description=_("当前角色没有审批权限"))},
    )
    def get(self, request: Request) -> Response:
        sections = approvals.inbox(request.user, limit=ITEMS_PER_KIND)
        items = sorted((item for section in sections for item in section.items), key=lambda item: item.since)
        data = {"count": sum(section.count for section in sections), "kinds": sections, "items": items}
        return Response(InboxSerializer(data).data)
