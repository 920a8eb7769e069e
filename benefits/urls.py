"""/deaths/…: the deaths and benefits pages."""

from django.urls import path

from .views import parameters as parameter_views

urlpatterns: list = [
    # parameters
    path("parameters/", parameter_views.parameter_list, name="benefit-parameters"),
    path("parameters/set/", parameter_views.parameter_set, name="benefit-parameter-set"),
    path("parameters/clear-average/", parameter_views.average_clear, name="benefit-average-clear"),
]
