"""pytest: the real PostgreSQL and Redis, on their own databases so a running demo is left alone."""

import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Serve static files straight from the app and static/ folders: no collectstatic outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# The replica alias exists in tests as a second connection to the test database (a mirror), so the router's
# choices are real (tests/registry/test_replica.py); every test may use it (tests/conftest.py).
DATABASES["replica"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "TEST": {"MIRROR": "default"},
}
# Redis database 15 for tests keeps their queues apart from a demo worker on database 0.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
AXES_ENABLED = True
# High enough that no test is throttled by accident; tests/registry/test_api_security.py lowers them to prove
# the throttles answer 429.
API_THROTTLE_RATES = {"anon": "10000/minute", "user": "10000/minute", "token": "10000/minute"}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "test",
    }
}
