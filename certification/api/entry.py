"""The entry screen's API: look a retiree up by the scanned ID number (the card) and certify them. Thin views
over certification.selectors.entry and certification.services.certify, the same the page uses; the same role
(CERTIFY: township officers, clerks, admin). Errors come back as {field: [message]} (registry.api.errors);
a number nobody carries and a retiree of another township answer 404, the latter saying nothing about them.
"""

from __future__ import annotations

from typing import Any, cast

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import Action
from registry.models import Retiree, Staff

from ..errors import CertificationError, RetireeNotVisibleError
from ..forms_entry import ENTRY_CHANNEL_CHOICES, channel_details, validate_certificate_scan
from ..models import Certification
from ..selectors.entry import (
    EntryCard,
    RetireeNotFoundError,
    certify_message,
    entry_card,
    retiree_for_entry,
    visible_retiree_for_entry,
)
from ..services import certify

TAG = "certification"

_ERRORS = OpenApiResponse(
    description=gettext_lazy(
        "{字段: [错误信息]}:身份证号码无效(校验位等)、缺少上门人员/证明材料/协助认证机构、已死亡或终止等"
    )
)
_NOT_FOUND = OpenApiResponse(
    description=gettext_lazy(
        "{字段: [错误信息]}:本辖区没有该身份证号码的退休人员;其他乡镇的人员与不存在的号码回答相同"
    )
)
_FORBIDDEN = OpenApiResponse(description=gettext_lazy("当前角色不能认证"))


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _not_found(error: CertificationError, field: str = "id_number") -> Response:
    return Response({field: [error.message]}, status=status.HTTP_404_NOT_FOUND)


# Output -----------------------------------------------------------------------------------------------------


class CertificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField(help_text=gettext_lazy("认证年度"))
    certified_on = serializers.DateField(help_text=gettext_lazy("认证日期"))
    # Plain text with the values listed: the imports and the remote pages use the same field name.
    channel = serializers.CharField(
        help_text=gettext_lazy(
            "认证方式:in_person 窗口认证,home_visit 上门认证,certificate 村(居)委会或医院证明,"
            "remote_assisted 异地协助认证,online 网上自助认证,data_comparison 数据比对认证"
        )
    )
    channel_label = serializers.CharField(source="get_channel_display")
    visitor_name = serializers.CharField()
    certifying_office = serializers.CharField()
    note = serializers.CharField()
    has_document = serializers.SerializerMethodField(help_text=gettext_lazy("是否附有证明材料扫描件"))
    recorded_by = serializers.CharField(source="recorded_by.display_name")
    recorded_at = serializers.DateTimeField()

    def get_has_document(self, certification: Certification) -> bool:
        return bool(certification.document)


class CardOutputSerializer(serializers.Serializer):
    """The card of the entry screen: what the officer needs to recognise the person and certify them."""

    retiree_id = serializers.IntegerField(source="retiree.pk")
    name = serializers.CharField(source="retiree.name")
    sex = serializers.CharField(source="retiree.sex", help_text=gettext_lazy("性别:M 男,F 女"))
    sex_label = serializers.CharField(source="retiree.get_sex_display")
    age = serializers.IntegerField(help_text=gettext_lazy("周岁"))
    id_number_masked = serializers.CharField(help_text=gettext_lazy("脱敏的身份证号码"))
    township = serializers.CharField(source="township.name", allow_null=True, default=None)
    community = serializers.CharField(source="retiree.community.name")
    status = serializers.ChoiceField(source="retiree.status", choices=Retiree.Status.choices)
    status_label = serializers.CharField(source="retiree.get_status_display")
    suspended_for_certification = serializers.BooleanField(
        help_text=gettext_lazy("因未认证被暂停发放:认证后恢复发放并补发暂停期间的养老金")
    )
    photo_url = serializers.SerializerMethodField(help_text=gettext_lazy("照片地址,无照片为空"))
    year = serializers.IntegerField(help_text=gettext_lazy("本年度"))
    last_certification = CertificationOutputSerializer(
        source="last", allow_null=True, help_text=gettext_lazy("最近一次认证(任何年度),无则为空")
    )
    certified_this_year = CertificationOutputSerializer(
        source="this_year", allow_null=True, help_text=gettext_lazy("本年度的认证记录;有则无需重复认证")
    )
    valid_until = serializers.DateField(
        allow_null=True, help_text=gettext_lazy("12个月滚动认证方式下,最近一次认证的有效截止日期")
    )
    can_certify = serializers.BooleanField(help_text=gettext_lazy("是否可以认证(本年度未认证且状态允许)"))
    refusal = serializers.CharField(
        help_text=gettext_lazy("不能认证的原因(已死亡、终止或经死亡比对确认),可以认证时为空")
    )

    def get_photo_url(self, card: EntryCard) -> str | None:
        return reverse("retiree-photo", args=[card.retiree.pk]) if card.retiree.photo else None


class CertifyOutputSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text=gettext_lazy("false:本年度已认证,返回保留的第一条记录"))
    restored = serializers.BooleanField(
        help_text=gettext_lazy("true:已恢复发放,暂停期间的养老金转入下期补发")
    )
    message = serializers.CharField()
    retiree_id = serializers.IntegerField(source="certification.retiree_id")
    retiree_status = serializers.ChoiceField(
        source="certification.retiree.status", choices=Retiree.Status.choices
    )
    certification = CertificationOutputSerializer()


# Views ------------------------------------------------------------------------------------------------------


class EntryLookupApi(APIView):
    required_action = Action.CERTIFY

    class LookupQuerySerializer(serializers.Serializer):
        id_number = serializers.CharField(
            max_length=30, help_text=gettext_lazy("身份证号码:18位(末位x可小写)或旧的15位")
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("按身份证号码查找待认证人员"),
        description=gettext_lazy(
            "扫码认证页面的人员卡片:姓名、性别、年龄、社区、状态、上次认证、本年度是否已认证。只能查找本人"
            "管辖范围内的退休人员;身份证号码脱敏。乡镇经办、社保局经办和管理员可用。"
        ),
        parameters=[LookupQuerySerializer],
        responses={200: CardOutputSerializer, 400: _ERRORS, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        query = self.LookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        try:
            retiree = retiree_for_entry(
                user=_staff(request), raw_id_number=query.validated_data["id_number"], today=today
            )
        except (RetireeNotFoundError, RetireeNotVisibleError) as error:
            return _not_found(error)
        return Response(CardOutputSerializer(entry_card(retiree=retiree, today=today)).data)


class CertifyApi(APIView):
    required_action = Action.CERTIFY
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class CertifyInputSerializer(serializers.Serializer):
        retiree_id = serializers.IntegerField(
            required=False, help_text=gettext_lazy("退休人员 id(查找结果的 retiree_id);与身份证号码二选一")
        )
        id_number = serializers.CharField(
            required=False,
            max_length=30,
            help_text=gettext_lazy("身份证号码(18位或15位);与 retiree_id 二选一"),
        )
        channel = serializers.ChoiceField(
            choices=ENTRY_CHANNEL_CHOICES,
            help_text=gettext_lazy("认证方式(网上自助认证、数据比对认证只能通过导入登记)"),
        )
        visitor_name = serializers.CharField(
            required=False, allow_blank=True, max_length=50, help_text=gettext_lazy("上门认证必填:上门人员")
        )
        certifying_office = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text=gettext_lazy("异地协助认证必填:协助认证的社保经办机构"),
        )
        note = serializers.CharField(required=False, allow_blank=True, max_length=200)
        document = serializers.FileField(
            required=False,
            validators=[validate_certificate_scan],
            help_text=gettext_lazy("村(居)委会或医院证明必传:PDF、JPG 或 PNG 扫描件(multipart)"),
        )

    @extend_schema(
        tags=[TAG],
        summary=gettext_lazy("登记资格认证"),
        description=gettext_lazy(
            "以今天的日期为本年度认证。本年度已认证的保留第一条记录(返回 200 和该记录),新认证返回 201。"
            "因未认证被暂停发放的人员恢复发放,暂停期间的养老金转入下期发放计划补发。"
        ),
        request={
            "multipart/form-data": CertifyInputSerializer,
            "application/x-www-form-urlencoded": CertifyInputSerializer,
            "application/json": CertifyInputSerializer,
        },
        responses={
            200: CertifyOutputSerializer,
            201: CertifyOutputSerializer,
            400: _ERRORS,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def post(self, request: Request) -> Response:
        data = self.CertifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        user, today = _staff(request), timezone.localdate()
        try:
            if values.get("retiree_id") is not None:
                try:
                    retiree = visible_retiree_for_entry(user=user, pk=values["retiree_id"])
                except RetireeNotVisibleError as error:
                    return _not_found(error, "retiree_id")
            elif values.get("id_number"):
                retiree = retiree_for_entry(user=user, raw_id_number=values["id_number"], today=today)
            else:
                raise CertificationError(_("请填写身份证号码或退休人员 id。"), field="id_number")
            result = certify(
                retiree=retiree,
                channel=values["channel"],
                certified_on=today,
                by=user,
                note=values.get("note", ""),
                **channel_details(values),
            )
        except (RetireeNotFoundError, RetireeNotVisibleError) as error:
            return _not_found(error)
        message = certify_message(result)
        output = CertifyOutputSerializer(
            {
                "created": result.created,
                "restored": result.restored,
                "message": message,
                "certification": result.certification,
            }
        )
        return Response(output.data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
