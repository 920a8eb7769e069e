import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_mgmt.settings.development")

app = Celery("retiree_mgmt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
