"""/certification/…: the annual certification pages (issue 5)."""

from django.urls import path

urlpatterns: list = [
    # entry screen (scan box)
    # progress per township and community, missing list
    # remote residents: batches, upload file, combined forms PDF, returned forms
    # imports: online results, data comparison, remote results, deaths review list
    # campaigns and the suspension run with its notices
]
