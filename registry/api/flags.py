"""The REST API of county flags (人员标记, docs/flags.md): the same services and scoping as the pages.

Refusals come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import cast

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..access import Action
from ..models import FlagKind, Staff
from ..selectors import flags as selectors
from ..services import flags as services

TAG = "flags"


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class FlagKindOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    sort_order = serializers.IntegerField()
    holders = serializers.IntegerField(help_text=_("可见范围内当前有该标记的人数"))
    used = serializers.BooleanField(help_text=_("曾有人使用(标记代码不能再改)"))


class FlagKindInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=50)
    sort_order = serializers.IntegerField(min_value=0, default=0)
    is_active = serializers.BooleanField(default=True)


class FlagKindListApi(APIView):
    @extend_schema(tags=[TAG], summary=_("人员标记种类"), responses=FlagKindOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        kinds = selectors.flag_kinds_with_counts(user=_staff(request))
        return Response(FlagKindOutputSerializer(kinds, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=_("新增标记种类"),
        request=FlagKindInputSerializer,
        responses={201: FlagKindOutputSerializer, 400: OpenApiResponse(description=_("{字段: [错误信息]}"))},
    )
    def post(self, request: Request) -> Response:
        access.require(_staff(request), Action.MANAGE_SETTINGS)
        data = FlagKindInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kind = services.flag_kind_create(
            code=values["code"], name=values["name"], sort_order=values["sort_order"], by=_staff(request)
        )
        shown = selectors.flag_kinds_with_counts(user=_staff(request)).get(pk=kind.pk)
        return Response(FlagKindOutputSerializer(shown).data, status=status.HTTP_201_CREATED)


class FlagKindUpdateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False, help_text=_("有人使用过后不能再改"))
    name = serializers.CharField(max_length=50, required=False)
    sort_order = serializers.IntegerField(min_value=0, required=False)
    is_active = serializers.BooleanField(required=False)


class FlagKindDetailApi(APIView):
    required_action = Action.MANAGE_SETTINGS

    @extend_schema(
        tags=[TAG],
        summary=_("修改标记种类"),
        description=_("改名、排序、停用或重新启用;停用后不能再设置,已有的标记保留。"),
        request=FlagKindUpdateSerializer,
        responses={200: FlagKindOutputSerializer, 400: OpenApiResponse(description=_("{字段: [错误信息]}"))},
    )
    def patch(self, request: Request, pk: int) -> Response:
        kind = get_object_or_404(FlagKind, pk=pk)
        data = FlagKindUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.flag_kind_update(
            kind=kind,
            by=_staff(request),
            code=values.get("code"),
            name=values.get("name", kind.name),
            sort_order=values.get("sort_order", kind.sort_order),
            is_active=values.get("is_active", kind.is_active),
        )
        shown = selectors.flag_kinds_with_counts(user=_staff(request)).get(pk=kind.pk)
        return Response(FlagKindOutputSerializer(shown).data)


class RetireeFlagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="kind.code")
    name = serializers.CharField(source="kind.name")
    note = serializers.CharField()
    added_by = serializers.CharField(source="added_by.display_name")
    added_at = serializers.DateTimeField()
    removed_by = serializers.CharField(source="removed_by.display_name", allow_null=True, default=None)
    removed_at = serializers.DateTimeField(allow_null=True)
    is_current = serializers.SerializerMethodField()

    def get_is_current(self, flag: object) -> bool:
        return getattr(flag, "removed_at", None) is None


class RetireeFlagAddSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("标记代码"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=_("依据或说明"))


class RetireeFlagListApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary=_("退休人员的标记"),
        description=_("当前的标记在前,已取消的在后。"),
        responses={
            200: RetireeFlagOutputSerializer(many=True),
            404: OpenApiResponse(description=_("不存在")),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        retiree = access.get_visible_retiree_or_404(_staff(request), pk)
        return Response(RetireeFlagOutputSerializer(selectors.flags_of(retiree), many=True).data)

    @extend_schema(
        tags=[TAG],
        summary=_("设置标记"),
        request=RetireeFlagAddSerializer,
        responses={
            201: RetireeFlagOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        access.require(_staff(request), Action.EDIT_REGISTRY)
        retiree = access.get_visible_retiree_or_404(_staff(request), pk)
        data = RetireeFlagAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = FlagKind.objects.filter(code=data.validated_data["kind"]).first()
        if kind is None:
            raise serializers.ValidationError({"kind": [_("没有这个标记。")]})
        flag = services.flag_add(
            retiree=retiree, kind=kind, note=data.validated_data.get("note", ""), by=_staff(request)
        )
        return Response(RetireeFlagOutputSerializer(flag).data, status=status.HTTP_201_CREATED)


class RetireeFlagRemoveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=90, help_text=_("取消原因"))


class RetireeFlagRemoveApi(APIView):
    required_action = Action.EDIT_REGISTRY

    @extend_schema(
        tags=[TAG],
        summary=_("取消标记"),
        request=RetireeFlagRemoveSerializer,
        responses={
            200: RetireeFlagOutputSerializer,
            400: OpenApiResponse(description=_("{字段: [错误信息]}")),
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request, pk: int, flag_pk: int) -> Response:
        flag = selectors.flag_for(user=_staff(request), retiree_pk=pk, pk=flag_pk)
        data = RetireeFlagRemoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_remove(flag=flag, by=_staff(request), note=data.validated_data["note"])
        return Response(RetireeFlagOutputSerializer(flag).data)
