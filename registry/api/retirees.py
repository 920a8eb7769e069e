"""The registry's REST API: read-only, scoped exactly as the pages are (registry.access).

Small input/output serializers and thin views that call registry.selectors; no logic in serializers.
Errors come back as {field: [message]} (registry.api.errors).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from .. import selectors, services
from ..access import Action, actions_of, get_visible_retiree_or_404, require, visible_units
from ..id_numbers import mask_account_number, mask_resident_id
from ..models import Agent, Bank, BankAccount, OrgUnit, PensionRate, Retiree, SensitiveView, Staff
from ..selectors.units import in_unit_order

TAG = "registry"
API_PAGE_SIZE = 50


def _staff(request: Request) -> Staff:
    """The signed-in staff member. Every view's permission has already refused anyone else."""
    return cast(Staff, request.user)


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# Retiree list -----------------------------------------------------------------------------------------------


class RetireeListApi(APIView):
    class RetireeFilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=50,
            help_text=_(
                "一个搜索框:身份证号码或前缀(4位以上数字,末位X不分大小写)、15位旧号码、待遇证号前缀、"
                "银行账号(当前或历史账户,完整号码)、姓名或姓名中的一两个字、全拼前缀或拼音首字母"
            ),
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
        community = serializers.PrimaryKeyRelatedField(
            queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNITY),
            required=False,
            help_text=_("社区(村居)单位 ID"),
            error_messages={
                "does_not_exist": _("没有 ID 为 {pk_value} 的社区(村居)。"),
                "incorrect_type": _("社区(村居)应填写单位 ID(整数)。"),
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
        residence = serializers.ChoiceField(
            choices=Retiree.Residence.choices,
            required=False,
            error_messages={"invalid_choice": _("没有“{input}”这种居住类型。")},
        )
        sort = serializers.ChoiceField(
            choices=[f"{sign}{name}" for name in selectors.SORTS for sign in ("", "-")],
            required=False,
            help_text=_(
                "排序:name(姓名,按拼音)、id_number、retirement_date、township(按单位顺序),前加“-”为降序;"
                "不填按身份证号码(搜索时按匹配顺序)。搜索匹配超过 1000 人时不排序(sort_applied 为 false)"
            ),
            error_messages={"invalid_choice": _("没有“{input}”这种排序。")},
        )
        page = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=selectors.MAX_PAGE,
            help_text=_("页码,从 1 开始"),
            error_messages={
                "invalid": _("页码应为正整数。"),
                "min_value": _("页码应为正整数。"),
                "max_value": _("页码不能超过 {max_value},请缩小搜索范围。"),
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

    # Only for the schema: the view builds the body itself (a capped count, no count(*) over the table).
    RetireePageSerializer = inline_serializer(
        name="RetireePage",
        fields={
            "count": serializers.IntegerField(help_text=_("人数;超过 1000 人时为 1000")),
            "count_is_exact": serializers.BooleanField(
                help_text=_("false 表示人数只是下限:超过 1000 人,或范围小而搜索很宽时只数了一部分")
            ),
            "page": serializers.IntegerField(help_text=_("本页页码(所要的页超出末页时为末页)")),
            "num_pages": serializers.IntegerField(
                help_text=_("页数;count_is_exact 为 false 时只是下限(页面显示为“共 N+ 页”)")
            ),
            "sort": serializers.CharField(help_text=_("实际采用的排序,空表示默认顺序")),
            "sort_applied": serializers.BooleanField(
                help_text=_("false:搜索匹配超过 1000 人,按匹配顺序列出,未按 sort 排序")
            ),
            "next": serializers.URLField(allow_null=True, help_text=_("下一页的地址,没有时为 null")),
            "previous": serializers.URLField(allow_null=True, help_text=_("上一页的地址,没有时为 null")),
            "results": RetireeListItemSerializer(many=True),
        },
    )

    @extend_schema(
        tags=[TAG],
        summary=_("退休人员列表"),
        operation_id="retirees_list",
        description=_(
            "当前用户可见范围内的退休人员,每页 50 条,与页面上的列表用同一个查询。无搜索时按身份证号码排序;"
            "搜索时先列出开头相同的,再列出其他位置包含的。人数最多数到 1000(不做全表计数)。"
        ),
        parameters=[RetireeFilterSerializer],
        responses=RetireePageSerializer,
    )
    def get(self, request: Request) -> Response:
        params = self.RetireeFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        township, community, bank = data.get("township"), data.get("community"), data.get("bank")
        filters = selectors.RetireeFilters(
            q=data.get("q", ""),
            township_id=township.id if township else None,
            community_id=community.id if community else None,
            status=data.get("status", ""),
            bank_id=bank.id if bank else None,
            residence=data.get("residence", ""),
            sort=data.get("sort", ""),
        )
        page = selectors.retiree_list(
            user=_staff(request), filters=filters, page=data.get("page", 1), page_size=API_PAGE_SIZE
        )
        url = request.build_absolute_uri()
        body = {
            "count": page.count,
            "count_is_exact": page.total_is_known,
            "page": page.number,
            "num_pages": page.num_pages,
            "sort": page.sort,
            "sort_applied": page.sort_applied,
            "next": replace_query_param(url, "page", page.next_number) if page.has_next else None,
            "previous": _previous_page_url(url, page.previous_number) if page.has_previous else None,
            "results": self.RetireeListItemSerializer(page.retirees, many=True).data,
        }
        return Response(body)


def _previous_page_url(url: str, number: int) -> str:
    # Page 1 without a page parameter, as DRF's own pagination does.
    return remove_query_param(url, "page") if number == 1 else replace_query_param(url, "page", number)


# Retiree detail ---------------------------------------------------------------------------------------------


class BankAccountOutputSerializer(serializers.Serializer):
    bank_code = serializers.CharField(source="bank.code")
    bank_name = serializers.CharField(source="bank.name")
    account_number_masked = serializers.SerializerMethodField(help_text=_("账号,仅显示前4位和后4位"))
    holder_name = serializers.CharField()
    is_current = serializers.BooleanField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)

    def get_account_number_masked(self, account: BankAccount) -> str:
        return mask_account_number(account.account_number)


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
    id_number_masked = serializers.SerializerMethodField(help_text=_("代办人身份证号码(掩码)"))
    relation = serializers.CharField()
    phone = serializers.CharField()
    is_current = serializers.BooleanField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)

    def get_id_number_masked(self, agent: Agent) -> str:
        return mask_resident_id(agent.id_number)


class RetireeDetailApi(APIView):
    class RetireeDetailSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        id_number_masked = serializers.CharField(source="masked_id_number")
        id_number_original_masked = serializers.SerializerMethodField(
            help_text=_("由15位升为18位前的原号码(掩码),没有时为空")
        )
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
        current_rate = serializers.SerializerMethodField()
        current_bank_account = serializers.SerializerMethodField()
        current_agent = serializers.SerializerMethodField()
        bank_accounts = BankAccountOutputSerializer(many=True, help_text=_("全部银行账户,当前的在前"))
        rates = RateOutputSerializer(many=True, help_text=_("养老金标准,新的在前"))
        status_changes = StatusChangeOutputSerializer(many=True, help_text=_("状态变更记录,新的在前"))
        agents = AgentOutputSerializer(many=True, help_text=_("全部委托代办人,当前的在前"))

        def get_id_number_original_masked(self, retiree: Retiree) -> str:
            return mask_resident_id(retiree.id_number_original) if retiree.id_number_original else ""

        @extend_schema_field(RateOutputSerializer(allow_null=True))
        def get_current_rate(self, retiree: Retiree) -> dict[str, Any] | None:
            rate = selectors.current_rate(retiree)
            return RateOutputSerializer(rate).data if rate else None

        @extend_schema_field(BankAccountOutputSerializer(allow_null=True))
        def get_current_bank_account(self, retiree: Retiree) -> dict[str, Any] | None:
            account = selectors.current_bank_account(retiree)
            return BankAccountOutputSerializer(account).data if account else None

        @extend_schema_field(AgentOutputSerializer(allow_null=True))
        def get_current_agent(self, retiree: Retiree) -> dict[str, Any] | None:
            agent = selectors.current_agent(retiree)
            return AgentOutputSerializer(agent).data if agent else None

    @extend_schema(
        tags=[TAG],
        summary=_("退休人员详情"),
        description=_(
            "身份、居住地、原单位、银行账户、委托代办人、养老金标准和状态变更。身份证号码和账号只给掩码,"
            "完整号码请用 reveal 接口(会记录查看)。不在可见范围内时返回 404。"
        ),
        responses={
            200: RetireeDetailSerializer,
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        retiree = selectors.retiree_detail(user=_staff(request), pk=pk)
        return Response(self.RetireeDetailSerializer(retiree).data)


class RetireeRevealApi(APIView):
    class RevealInputSerializer(serializers.Serializer):
        field = serializers.ChoiceField(
            choices=SensitiveView.Field.choices,
            help_text=_("id_number:本人身份证号码;account_number:当前发放账户的账号"),
            error_messages={"invalid_choice": _("只能查看身份证号码或银行账号,没有“{input}”这一项。")},
        )

    class RevealOutputSerializer(serializers.Serializer):
        field = serializers.ChoiceField(choices=SensitiveView.Field.choices)
        value = serializers.CharField(help_text=_("完整号码"))

    @extend_schema(
        tags=[TAG],
        summary=_("查看完整号码"),
        description=_(
            "返回完整的身份证号码或当前账号,并记录一次查看(查看人、对象、内容、时间)。"
            "没有查看权限的角色返回 403;不在可见范围内返回 404;都不记录。"
        ),
        request=RevealInputSerializer,
        responses={
            200: RevealOutputSerializer,
            400: OpenApiResponse(description=_("未知的查看内容,或尚未登记发放账户")),
            403: OpenApiResponse(description=_("当前角色不能查看完整号码")),
            404: OpenApiResponse(description=_("不存在或不在可见范围内")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        staff = _staff(request)
        retiree = get_visible_retiree_or_404(staff, pk)
        # 404 out of scope, then 403 for the role, then the body (docs/record-page.md): a role that may not
        # reveal learns nothing from the field's validation.
        require(staff, Action.VIEW_SENSITIVE)
        params = self.RevealInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        field = params.validated_data["field"]
        value = services.sensitive_view_record(retiree=retiree, field=field, by=staff)
        return Response(self.RevealOutputSerializer({"field": field, "value": value}).data)


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
        return in_unit_order(visible_units(_staff(self.request)))


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
