"""/api/benefits/…: the deaths and benefits API, beside the pages and calling the same services."""

from django.urls import path

from . import parameters as api_parameters

urlpatterns: list = [
    # parameters
    path("parameters/", api_parameters.ParameterListApi.as_view(), name="api-benefit-parameters"),
    path(
        "parameters/clear-average/",
        api_parameters.AverageClearApi.as_view(),
        name="api-benefit-average-clear",
    ),
]
