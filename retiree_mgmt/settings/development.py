"""Local development: `make run`. Debug on, but still PostgreSQL and Redis, as in production."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Serve static files straight from the app and static/ folders: no collectstatic outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The demo county's bureau (docs/demo-county.md), printed on notices and remote residents' forms.
BUREAU_ADDRESS = os.environ.get("BUREAU_ADDRESS", "示范县人民路88号 退休人员管理股")
BUREAU_PHONE = os.environ.get("BUREAU_PHONE", "0797-6321234")
