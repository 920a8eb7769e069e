"""/api/certification/…: the certification API, beside the pages and calling the same services."""

from django.urls import path

urlpatterns: list = [
    # entry
    # progress
    # remote residents
    # imports
    # campaigns and suspension
]
