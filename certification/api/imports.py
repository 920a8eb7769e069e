"""/api/certification/imports/… and /api/certification/death-matches/…: the certification imports and the
deaths review list through the API, with the same services, roles and scope as the pages
(certification.views.imports).

POST a file to check it (nothing written but the import row), GET it for the counts by outcome, GET its
problem rows page by page, POST confirm (once) or cancel. Errors come back as {field: [message]}.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import Staff

from ..models import CertificationImport, DeathMatch
from ..selectors.imports import (
    death_matches_visible_to,
    get_visible_death_match_or_404,
    get_visible_import_or_404,
    may_import,
)
from ..services.imports import (
    OUTCOME_LABELS,
    certification_import_apply,
    certification_import_cancel,
    certification_import_check,
    death_match_decide,
    outcomes_for,
)

TAG = "certification-imports"
_ERRORS = OpenApiResponse(
    description=gettext_lazy("{字段: [错误信息]}:文件无法读取、表头缺列、已确认或已取消的批次等")
)
_FORBIDDEN = OpenApiResponse(description=gettext_lazy("当前角色不能做此操作(乡镇经办人员不能导入)"))
_NOT_FOUND = OpenApiResponse(description=gettext_lazy("没有这个批次或记录(或不在本人管辖范围内)"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


class ImporterPermission(BasePermission):
    """County clerks and the admin (EDIT_REGISTRY and CERTIFY); a township officer gets 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_import(request.user)


# Output -----------------------------------------------------------------------------------------------------


class CertificationImportOutcomeSerializer(serializers.Serializer[Any]):
    outcome = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class CertificationImportProblemSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text=gettext_lazy("文件中的行号(表头为第1行)"))
    id_number = serializers.CharField(help_text=gettext_lazy("已遮蔽"))
    name = serializers.CharField()
    outcome = serializers.CharField()
    reason = serializers.CharField()


class CertificationImportRestorationSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField(help_text=gettext_lazy("已遮蔽"))
    community = serializers.CharField()
    certified_on = serializers.DateField()


class CertificationImportDeathMatchSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    name = serializers.CharField(help_text=gettext_lazy("登记姓名"))
    id_number = serializers.CharField(help_text=gettext_lazy("已遮蔽"))
    community = serializers.CharField()
    reported_name = serializers.CharField()
    reported_died_on = serializers.DateField()
    name_differs = serializers.BooleanField()


class CertificationImportAppliedSerializer(serializers.Serializer[Any]):
    certified = serializers.IntegerField(required=False, help_text=gettext_lazy("记录认证人数"))
    restored = serializers.IntegerField(required=False, help_text=gettext_lazy("恢复发放并补发人数"))
    death_matches = serializers.IntegerField(required=False, help_text=gettext_lazy("列入待核名单人数"))


class CertificationImportSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField(
        help_text=gettext_lazy(
            "类型:online 网上自助认证结果,data_comparison 数据比对(生存)名单,"
            "remote_results 异地协助认证结果,deaths 死亡名单"
        )
    )
    kind_label = serializers.CharField(source="get_kind_display")
    year = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    original_name = serializers.CharField()
    status = serializers.CharField(
        help_text=gettext_lazy("状态:checked 待确认,confirmed 已确认,cancelled 已取消")
    )
    status_label = serializers.CharField(source="get_status_display")
    total_rows = serializers.IntegerField()
    matched_rows = serializers.IntegerField(help_text=gettext_lazy("将写入(或已写入)的行数"))
    applied_rows = serializers.IntegerField()
    counts = serializers.SerializerMethodField()
    problem_count = serializers.SerializerMethodField()
    restorations = serializers.SerializerMethodField()
    death_matches = serializers.SerializerMethodField()
    applied = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.display_name")
    uploaded_at = serializers.DateTimeField()
    confirmed_by = serializers.CharField(source="confirmed_by.display_name", allow_null=True, default=None)
    confirmed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(CertificationImportOutcomeSerializer(many=True))
    def get_counts(self, item: CertificationImport) -> list[dict[str, Any]]:
        counts = item.summary.get("counts", {})
        return [
            {"outcome": key, "label": _(OUTCOME_LABELS[key]), "count": counts.get(key, 0)}
            for key in outcomes_for(item.kind)
        ]

    def get_problem_count(self, item: CertificationImport) -> int:
        return len(item.summary.get("problems", []))

    @extend_schema_field(CertificationImportRestorationSerializer(many=True))
    def get_restorations(self, item: CertificationImport) -> list[dict[str, Any]]:
        return list(item.summary.get("restorations", []))

    @extend_schema_field(CertificationImportDeathMatchSerializer(many=True))
    def get_death_matches(self, item: CertificationImport) -> list[dict[str, Any]]:
        return list(item.summary.get("matches", []))

    @extend_schema_field(CertificationImportAppliedSerializer)
    def get_applied(self, item: CertificationImport) -> dict[str, int]:
        return dict(item.summary.get("applied", {}))


# Views ------------------------------------------------------------------------------------------------------


class ImportCheckApi(APIView):
    permission_classes = [ImporterPermission]
    parser_classes = [MultiPartParser, FormParser]

    class CertificationImportCheckInputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text=gettext_lazy(".xlsx 或 .csv(UTF-8、GBK、GB18030),表头见模板"))
        kind = serializers.CharField(
            help_text=gettext_lazy("类型:online、data_comparison、remote_results、deaths")
        )
        year = serializers.IntegerField(help_text=gettext_lazy("认证年度"))
        source = serializers.CharField(  # type: ignore[assignment]
            required=False, allow_blank=True, default="", help_text=gettext_lazy("数据来源,如医保结算记录")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("上传文件并核对"),
        description=gettext_lazy("按类型核对每一行,返回各结果的行数;只保存批次本身,不写入认证或待核记录。"),
        request={"multipart/form-data": CertificationImportCheckInputSerializer},
        responses={201: CertificationImportSerializer, 400: _ERRORS, 403: _FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        data = self.CertificationImportCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        checked = certification_import_check(by=_staff(request), **data.validated_data)
        return Response(CertificationImportSerializer(checked).data, status=status.HTTP_201_CREATED)


class ImportDetailApi(APIView):
    permission_classes = [ImporterPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("导入批次的核对结果"),
        responses={200: CertificationImportSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        item = get_visible_import_or_404(_staff(request), pk)
        return Response(CertificationImportSerializer(item).data)


class ImportProblemsApi(APIView):
    permission_classes = [ImporterPermission]
    # Named so that the schema shows the paged envelope (count, next, previous, results) it really returns.
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("导入批次的问题行(分页)"),
        parameters=[OpenApiParameter("page", int, description=gettext_lazy("页码,每页50行"))],
        responses={200: CertificationImportProblemSerializer(many=True), 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        item = get_visible_import_or_404(_staff(request), pk)
        paginator = self.pagination_class()
        problems: list[dict[str, Any]] = item.summary.get("problems", [])
        page = paginator.paginate_queryset(problems, request, view=self)
        return paginator.get_paginated_response(CertificationImportProblemSerializer(page, many=True).data)


class ImportConfirmApi(APIView):
    permission_classes = [ImporterPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("确认导入"),
        description=gettext_lazy(
            "只能确认一次;确认时按当时的登记情况再核对,在一个事务中写入认证、恢复发放并补发或死亡比对待核记录。"
        ),
        request=None,
        responses={200: CertificationImportSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        item = get_visible_import_or_404(_staff(request), pk)
        done = certification_import_apply(certification_import=item, by=_staff(request))
        return Response(CertificationImportSerializer(done).data)


class ImportCancelApi(APIView):
    permission_classes = [ImporterPermission]

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("取消导入批次"),
        request=None,
        responses={200: CertificationImportSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        item = get_visible_import_or_404(_staff(request), pk)
        done = certification_import_cancel(certification_import=item, by=_staff(request))
        return Response(CertificationImportSerializer(done).data)


class DeathMatchSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    retiree_id = serializers.IntegerField()
    retiree_name = serializers.CharField(source="retiree.name")
    id_number_masked = serializers.SerializerMethodField()
    township = serializers.CharField(source="retiree.community.parent.name", default="")
    community = serializers.CharField(source="retiree.community.name")
    retiree_status = serializers.CharField(
        source="retiree.status", help_text=gettext_lazy("登记状态:active、suspended、deceased、terminated")
    )
    last_paid_month = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("最后发放月份(已审批计划中的非暂停发放明细),YYYY-MM")
    )
    reported_name = serializers.CharField()
    reported_died_on = serializers.DateField(allow_null=True)
    source = serializers.CharField(source="source_import.source")  # type: ignore[assignment]
    source_import_id = serializers.IntegerField()
    status = serializers.CharField(
        help_text=gettext_lazy("核实结果:pending 待核实,confirmed 确认死亡,dismissed 排除")
    )
    status_label = serializers.CharField(source="get_status_display")
    decided_by = serializers.CharField(source="decided_by.display_name", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()

    def get_id_number_masked(self, match: DeathMatch) -> str:
        return mask_resident_id(match.retiree.id_number)


class DeathMatchListApi(ListAPIView[DeathMatch]):
    required_action = Action.EDIT_REGISTRY
    serializer_class = DeathMatchSerializer

    def get_queryset(self) -> Any:
        wanted = self.request.query_params.get("status") or None
        if wanted not in (None, *DeathMatch.Status.values):
            raise serializers.ValidationError(
                {"status": [_("核实结果只能是 pending、confirmed 或 dismissed。")]}
            )
        return death_matches_visible_to(_staff(self.request), status=wanted)

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("死亡比对待核名单(待核实在前)"),
        parameters=[
            OpenApiParameter(
                "status", str, description=gettext_lazy("核实结果:pending、confirmed、dismissed,不填为全部")
            )
        ],
        responses={200: DeathMatchSerializer(many=True), 403: _FORBIDDEN},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DeathMatchDecideApi(APIView):
    required_action = Action.EDIT_REGISTRY

    class DeathMatchDecideInputSerializer(serializers.Serializer[Any]):
        confirm = serializers.BooleanField(help_text=gettext_lazy("true 确认死亡(立即暂停发放),false 排除"))
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=200, help_text=gettext_lazy("排除时必填")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("核实一条死亡比对记录"),
        request=DeathMatchDecideInputSerializer,
        responses={200: DeathMatchSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = self.DeathMatchDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        match = get_visible_death_match_or_404(_staff(request), pk)
        death_match_decide(match=match, by=_staff(request), **data.validated_data)
        return Response(DeathMatchSerializer(get_visible_death_match_or_404(_staff(request), pk)).data)
