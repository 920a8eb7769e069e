"""API tokens: obtained with a password, valid API_TOKEN_TTL_HOURS, revocable by their owner and the admin.

DRF's authtoken model holds the key (one per account); registry.api.authentication checks the expiry on
every request (docs/api.md).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..models import Staff
from .authentication import TokenObtainRateThrottle


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("请求时放在请求头:Authorization: Token <token>"))
    expires_at = serializers.DateTimeField(help_text=_("令牌失效的时间;之后请重新获取"))


class TokenObtainApi(APIView):
    # A token is asked for with a password, never with a session (so no CSRF token is needed either).
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = [TokenObtainRateThrottle]

    @extend_schema(
        tags=["auth"],
        summary=_("用用户名和密码获取 API 令牌"),
        description=_(
            "有效期内同一用户每次得到同一个令牌;过期后得到新令牌。用户名或密码错误时返回 400;"
            "连续失败会锁定该用户名与地址;请求过于频繁时返回 429。"
        ),
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, 400: OpenApiResponse(description=_("用户名或密码错误"))},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        staff: Staff = serializer.validated_data["user"]
        token = services.api_token_issue(staff=staff)
        expires_at = services.api_token_expires_at(token=token)
        return Response(TokenSerializer({"token": token.key, "expires_at": expires_at}).data)


class TokenRevokeApi(APIView):
    # Whoever holds a valid token (or a session) may give it up; no role is needed to stop being signed in.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary=_("撤销自己的 API 令牌"),
        description=_("令牌立即失效;用同一账号可以再获取新令牌。管理员可在管理后台撤销任何人的令牌。"),
        request=None,
        responses={204: OpenApiResponse(description=_("已撤销(本来没有令牌也返回 204)"))},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        staff: Staff = request.user  # type: ignore[assignment]
        services.api_token_revoke(staff=staff)
        return Response(status=status.HTTP_204_NO_CONTENT)
