"""The registry's REST API: read-only, scoped exactly as the pages are (registry.access).

Small input/output serializers and thin views that call registry.selectors; no logic in serializers.
Errors come back as {field: [message]} (registry.api_errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .access import Action, actions_of, visible_units
from .models import Bank, OrgUnit, PensionRate, Retiree, Staff

TAG = "registry"


def _staff(request: Request) -> Staff:
    """The signed-in staff member. Every view's permission has already refused anyone else."""
    return cast(Staff, request.user)


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# Retiree list -----------------------------------------------------------------------------------------------


class RetireeListApi(ListAPIView):
    class RetireeFilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=50,
            help_text=_("身份证号码或前缀、待遇证号、账号或姓名开头"),
        )
        township = serializers.PrimaryKeyRelatedField(
            queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP),
            required=False,
            help_text=_("乡镇(街道)单位 ID"),
            error_messages={
                "does_not_exist": _("没有 ID 为 {pk_value} 的乡镇(街道)。"),
                "incorrect_type": _("乡镇(街道)应填写单位 ID(整数)。"),
            },
        )
        status = serializers.ChoiceField(
            choices=Retiree.Status.choices,
            required=False,
            error_messages={"invalid_choice": _("没有“{input}”这种状态。")},
        )
        bank = serializers.PrimaryKeyRelatedField(
            queryset=Bank.objects.all(),
            required=False,
            help_text=_("当前账户所在银行 ID"),
            error_messages={
                "does_not_exist": _("没有 ID 为 {pk_value} 的银行。"),
                "incorrect_type": _("银行应填写银行 ID(整数)。"),
            },
        )

    class RetireeListItemSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        id_number_masked = serializers.CharField(source="masked_id_number")
        sex = serializers.ChoiceField(choices=Retiree.Sex.choices)
        birth_date = serializers.DateField()
        community = UnitRefSerializer()
        township = UnitRefSerializer(source="community.parent")
        status = serializers.ChoiceField(choices=Retiree.Status.choices)
        status_label = serializers.CharField(source="get_status_display")
        residence = serializers.ChoiceField(choices=Retiree.Residence.choices)
        certificate_number = serializers.CharField(allow_null=True)

    serializer_class = RetireeListItemSerializer

    @extend_schema(
        tags=[TAG],
        summary=_("退休人员列表"),
        description=_("当前用户可见范围内的退休人员,按身份证号码排序,每页 50 条。"),
        parameters=[RetireeFilterSerializer],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Retiree]:
        params = self.RetireeFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        township, bank = data.get("township"), data.get("bank")
        filters = selectors.RetireeFilters(
            q=data.get("q", ""),
            township_id=township.id if township else None,
            status=data.get("status", ""),
            bank_id=bank.id if bank else None,
        )
        return selectors.retiree_list(user=_staff(self.request), filters=filters)


# Retiree detail ---------------------------------------------------------------------------------------------


class BankAccountOutputSerializer(serializers.Serializer):
    bank_code = serializers.CharField(source="bank.code")
    bank_name = serializers.CharField(source="bank.name")
    account_number = serializers.CharField()
    holder_name = serializers.CharField()
    valid_from = serializers.DateField()


class RateOutputSerializer(serializers.Serializer):
    month = serializers.CharField(source="effective_month", help_text=_("起始月份,YYYY-MM"))
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("月养老金(元),两位小数的字符串")
    )
    reason = serializers.ChoiceField(choices=PensionRate.Reason.choices)
    reason_label = serializers.CharField(source="get_reason_display")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class StatusChangeOutputSerializer(serializers.Serializer):
    from_status = serializers.ChoiceField(choices=Retiree.Status.choices)
    to_status = serializers.ChoiceField(choices=Retiree.Status.choices)
    effective_date = serializers.DateField()
    reason = serializers.CharField()
    actor = serializers.CharField(source="actor.display_name")
    created_at = serializers.DateTimeField()


class AgentOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    id_number = serializers.CharField()
    relation = serializers.CharField()
    phone = serializers.CharField()
    is_current = serializers.BooleanField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


class RetireeDetailApi(APIView):
    class RetireeDetailSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        id_number = serializers.CharField()
        id_number_original = serializers.CharField()
        sex = serializers.ChoiceField(choices=Retiree.Sex.choices)
        birth_date = serializers.DateField()
        phone = serializers.CharField()
        address = serializers.CharField()
        community = UnitRefSerializer()
        township = UnitRefSerializer(source="community.parent")
        residence = serializers.ChoiceField(choices=Retiree.Residence.choices)
        remote_province = serializers.CharField()
        remote_city = serializers.CharField()
        remote_address = serializers.CharField()
        employer = UnitRefSerializer(allow_null=True)
        work_start_date = serializers.DateField(allow_null=True)
        retirement_date = serializers.DateField()
        contribution_months = serializers.IntegerField()
        certificate_number = serializers.CharField(allow_null=True)
        status = serializers.ChoiceField(choices=Retiree.Status.choices)
        status_label = serializers.CharField(source="get_status_display")
        died_on = serializers.DateField(allow_null=True)
        current_bank_account = serializers.SerializerMethodField()
        rates = RateOutputSerializer(many=True, help_text=_("养老金标准,新的在前"))
        status_changes = StatusChangeOutputSerializer(many=True, help_text=_("状态变更记录,新的在前"))
        agents = AgentOutputSerializer(many=True)

        @extend_schema_field(BankAccountOutputSerializer(allow_null=True))
        def get_current_bank_account(self, retiree: Retiree) -> dict[str, Any] | None:
            account = selectors.current_bank_account(retiree)
            return BankAccountOutputSerializer(account).data if account else None

    @extend_schema(
        tags=[TAG],
        summary=_("退休人员详情"),
        description=_(
            "完整身份证号码、银行账户、养老金标准、状态变更和委托代办人。不在可见范围内时返回 404。"
        ),
        responses={
            200: RetireeDetailSerializer,
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        retiree = selectors.retiree_detail(user=_staff(request), pk=pk)
        return Response(self.RetireeDetailSerializer(retiree).data)


# Settings tables and the signed-in user ---------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary=_("可见的组织单位"),
        description=_("当前用户所在单位及其下级单位(县 → 乡镇 → 社区),用 parent 组成树。"),
    )
)
class OrgUnitListApi(ListAPIView):
    class OrgUnitSerializer(serializers.ModelSerializer):
        # A ModelSerializer because "parent" would shadow Field.parent as a declared field.
        class Meta:
            model = OrgUnit
            fields = ("id", "code", "name", "kind", "parent")

    serializer_class = OrgUnitSerializer
    # A county has a few hundred units at most, and a client needs all of them to draw the tree.
    pagination_class = None

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return visible_units(_staff(self.request)).order_by("sort_order", "code")


@extend_schema_view(get=extend_schema(tags=[TAG], summary=_("发放银行")))
class BankListApi(ListAPIView):
    class BankSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        channel = serializers.ChoiceField(choices=Bank.Channel.choices)
        is_active = serializers.BooleanField()

    serializer_class = BankSerializer
    pagination_class = None
    queryset = Bank.objects.order_by("code")


class MeApi(APIView):
    # Any signed-in account may ask who it is, even one without a role yet (it then sees no actions).
    permission_classes = [IsAuthenticated]

    class MeSerializer(serializers.Serializer):
        class MeOrgUnitSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            code = serializers.CharField()
            name = serializers.CharField()
            kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices)

        username = serializers.CharField()
        name = serializers.CharField(source="display_name")
        role = serializers.ChoiceField(choices=Staff.Role.choices, allow_blank=True)
        role_label = serializers.CharField(source="get_role_display")
        org_unit = MeOrgUnitSerializer(allow_null=True)
        actions = serializers.SerializerMethodField(help_text=_("该用户可以做的操作"))

        @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(Action))))
        def get_actions(self, staff: Staff) -> list[str]:
            return sorted(action.value for action in actions_of(staff))

    @extend_schema(tags=[TAG], summary=_("当前登录用户"), responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.MeSerializer(_staff(request)).data)


class TokenObtainApi(ObtainAuthToken):
    # A token is asked for with a password, never with a session (so no CSRF token is needed either).
    authentication_classes = ()

    class TokenSerializer(serializers.Serializer):
        token = serializers.CharField(help_text=_("请求时放在请求头:Authorization: Token <token>"))

    @extend_schema(
        tags=["auth"],
        summary=_("用用户名和密码获取 API 令牌"),
        description=_(
            "同一用户每次得到同一个令牌。用户名或密码错误时返回 400;连续失败会锁定该用户名与地址。"
        ),
        request=AuthTokenSerializer,
        responses=TokenSerializer,
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)
