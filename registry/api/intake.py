"""POST /api/retirees/intake/: the same intake as the page, through the same service and checks."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..access import Action
from ..models import PensionRate, Retiree, Staff


class RetireeIntakeApi(APIView):
    required_action = Action.EDIT_REGISTRY
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=60)
        id_number = serializers.CharField(max_length=20, help_text=_("18位或15位(自动升位)"))
        sex = serializers.ChoiceField(choices=Retiree.Sex.choices, required=False, allow_blank=True)
        birth_date = serializers.DateField(required=False, allow_null=True)
        phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
        address = serializers.CharField(required=False, allow_blank=True, max_length=200)
        photo = serializers.FileField(required=False, allow_null=True, help_text=_("JPG 或 PNG"))
        community_id = serializers.IntegerField(help_text=_("社区(村居)单位 ID"))
        residence = serializers.ChoiceField(
            choices=Retiree.Residence.choices, default=Retiree.Residence.LOCAL
        )
        remote_province = serializers.CharField(required=False, allow_blank=True, max_length=30)
        remote_city = serializers.CharField(required=False, allow_blank=True, max_length=50)
        remote_address = serializers.CharField(required=False, allow_blank=True, max_length=200)
        employer_id = serializers.IntegerField(required=False, allow_null=True, help_text=_("已有原单位 ID"))
        employer_name = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text=_("没有 employer_id 时按名称选择或新建"),
        )
        work_start_date = serializers.DateField(required=False, allow_null=True)
        retirement_date = serializers.DateField()
        contribution_months = serializers.IntegerField(default=0)
        initial_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
        bank_id = serializers.IntegerField()
        account_number = serializers.CharField(max_length=40)
        holder_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
        agent_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
        agent_id_number = serializers.CharField(required=False, allow_blank=True, max_length=20)
        agent_relation = serializers.CharField(required=False, allow_blank=True, max_length=20)
        agent_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
        agent_proof = serializers.FileField(required=False, allow_null=True, help_text=_("PDF、JPG 或 PNG"))
        fee_amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, required=False, allow_null=True, help_text=_("不填按默认退管费")
        )
        fee_receipt_number = serializers.CharField(max_length=40)
        fee_paid_on = serializers.DateField()

    class OutputSerializer(serializers.Serializer):
        class ArrearsSerializer(serializers.Serializer):
            months = serializers.ListField(child=serializers.CharField(), help_text=_("补发月份,YYYY-MM"))
            monthly_amount = serializers.DecimalField(
                max_digits=12, decimal_places=2, help_text=_("初次核定月养老金")
            )
            amounts = serializers.ListField(
                child=serializers.DecimalField(max_digits=12, decimal_places=2),
                help_text=_("各补发月份的金额(与 months 一一对应;含已执行的年度调待增加部分)"),
            )
            total = serializers.DecimalField(max_digits=12, decimal_places=2)

        id = serializers.IntegerField()
        certificate_number = serializers.CharField()
        regular_payment_from = serializers.CharField(help_text=_("按月发放起始月份,YYYY-MM"))
        arrears = ArrearsSerializer()

    @extend_schema(
        tags=["registry"],
        summary=_("新增登记(退休人员首次办理)"),
        description=_(
            "与页面“新增登记”相同的校验与写入:发放待遇证号,登记前已过月份记为补发。"
            "任何错误都不写入任何内容,返回 {字段: [错误信息]}。"
        ),
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OutputSerializer,
            400: OpenApiResponse(description=_('字段错误,例如 {"id_number": ["身份证号码校验位错误…"]}')),
            403: OpenApiResponse(description=_("无登记权限")),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(serializer.validated_data)
        photo, proof = values.pop("photo", None), values.pop("agent_proof", None)
        data = services.IntakeData(
            **{
                key: value
                for key, value in values.items()
                if value is not None or key in {"birth_date", "work_start_date", "employer_id", "fee_amount"}
            }
        )
        retiree = services.retiree_intake(
            data=data, photo=photo, agent_proof=proof, by=cast(Staff, request.user)
        )
        arrears = list(retiree.arrears.order_by("month"))
        # The initial rate; applied annual adjustments may have added rates after it (docs/intake.md).
        amount = retiree.rates.get(reason=PensionRate.Reason.INITIAL).amount
        output = {
            "id": retiree.pk,
            "certificate_number": retiree.certificate_number,
            "regular_payment_from": str(retiree.regular_payment_from),
            "arrears": {
                "months": [str(item.month) for item in arrears],
                "monthly_amount": amount,
                "amounts": [item.amount for item in arrears],
                "total": sum((item.amount for item in arrears), start=amount * 0),
            },
        }
        return Response(self.OutputSerializer(output).data, status=status.HTTP_201_CREATED)
