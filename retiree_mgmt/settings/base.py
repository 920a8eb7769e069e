"""Settings shared by every environment. Values that differ between machines come from the environment."""

import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
import pgtrigger
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    # No "pghistory.admin": its events page counted a union of every event table and did not answer on a
    # county of 30,000; the audit log at /audit/ pages by keyset instead (docs/personal-data.md).
    "axes",
    "registry",
    "pensions",
    "certification",
    "benefits",
    "archives",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "retiree_mgmt.csp.SiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Puts the signed-in user into the audit context of every write the request makes.
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "retiree_mgmt.urls"
WSGI_APPLICATION = "retiree_mgmt.wsgi.application"
ASGI_APPLICATION = "retiree_mgmt.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.staff_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/retiree_mgmt"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A streaming read replica of the primary, for the heavy read-only pages and reports only, never for money:
# registry.replica decides per read (docs/deployment.md "PostgreSQL primary and read replica"). Without
# REPLICA_DATABASE_URL everything runs on default and the router has no opinion.
if os.environ.get("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["REPLICA_DATABASE_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
DATABASE_ROUTERS = ["registry.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A township office often sits behind one NAT address: lock on username and address together, so one
# officer's typos never lock out the whole office (docs/adr/0003-login-lockout.md).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "registry.api.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.api.authentication.ApiAnonRateThrottle",
        "registry.api.authentication.ApiUserRateThrottle",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["registry.api.permissions.StaffRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "企业退休人员社会化管理服务 API",
    "DESCRIPTION": "Retiree registry, payouts and certification for county social insurance bureaus.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from the sidecar package: bureau intranets have no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Documents the refusals every operation can answer with (403, 404, 400, 429) where a view names none.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.add_common_responses",
    ],
    # One named enum per set of choices: status, from_status and to_status share one, and the two different
    # "field" choices (change request, revealed number) would otherwise both be called FieldEnum.
    "ENUM_NAME_OVERRIDES": {
        "RetireeStatusEnum": "registry.models.Retiree.Status",
        "ChangeRequestFieldEnum": "registry.models.ChangeRequest.Field",
        "ChangeRequestStatusEnum": "registry.models.ChangeRequest.Status",
        "SensitiveViewFieldEnum": "registry.models.SensitiveView.Field",
        "PayoutPlanStatusEnum": "pensions.models.PayoutPlan.Status",
        "DeathRegistrationStatusEnum": "benefits.models.DeathRegistration.Status",
        "BenefitParameterKindEnum": "benefits.models.BenefitParameter.Kind",
        "OneOffPaymentKindEnum": "pensions.models.OneOffPayment.Kind",
        "OrgUnitKindEnum": "registry.models.OrgUnit.Kind",
        "AdjustmentRunStatusEnum": "pensions.models.AdjustmentRun.Status",
        "AdjustmentComparisonStatusEnum": "pensions.models.AdjustmentComparison.Status",
        "AdjustmentNoticeBatchStatusEnum": "pensions.models.AdjustmentNoticeBatch.Status",
        "AdjustmentDifferenceKindEnum": "pensions.models.AdjustmentDifference.Kind",
        "AdjustmentLineProblemEnum": "pensions.models.AdjustmentLine.Problem",
        "AdjustmentYearCountingEnum": "pensions.models.AdjustmentParameters.YearCounting",
        "ExportJobStatusEnum": "registry.models.ExportJob.Status",
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# Security of the API and the pages (docs/security.md, docs/api.md) ------------------------------------------
# A token is accepted for this many hours after it was issued; then the script asks for a new one.
API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", "8"))
# DRF throttle rates ("N/second|minute|hour|day"): anonymous callers per address, signed-in accounts per
# account, and the password endpoint per address and username together.
API_THROTTLE_RATES = {
    "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
    "user": os.environ.get("API_THROTTLE_USER", "600/minute"),
    "token": os.environ.get("API_THROTTLE_TOKEN", "10/minute"),
}
# The throttles count in this cache: Redis, so the counts hold across gunicorn workers and restarts.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("CACHE_REDIS_URL", REDIS_URL),
        "KEY_PREFIX": "retiree_mgmt",
    }
}
# Scripts, styles, images, fonts and requests only from this site: no inline script, no inline style, no
# eval, no CDN (bureau intranets have no internet). The Swagger UI page adds its own small allowance
# (registry/api/schema.py). Page behaviour lives in static/js/, layout helpers in static/css/utilities.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws its select arrows, close buttons and the menu icon as data: SVG images.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 60 * 60 * 24 * 7
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues per kind of job, so a city can give each its own workers on machines of their own (docs/deployment.md
# "Workers and queues"): money jobs never wait behind a night of PDF rendering or a 200,000-row import. Every
# worker of a small installation consumes all four (`-Q celery,payouts,imports,pdfs`). Declared here so a
# worker started without -Q consumes them all too, and so `control.purge()` empties every one of them.
CELERY_TASK_DEFAULT_QUEUE = "celery"
TASK_QUEUE_NAMES = ("celery", "payouts", "imports", "pdfs")
CELERY_TASK_QUEUES = [Queue(name) for name in TASK_QUEUE_NAMES]
# Every task of the project's apps is routed here on purpose (tests/retiree_mgmt/test_task_routes.py fails for
# one that matches no route). Exact names are looked up first, then the patterns in this order.
CELERY_TASK_ROUTES = {
    # Housekeeping on the default queue: quick, and the sweeper must not wait behind the long jobs it watches.
    "registry.tasks.sweep_stale_jobs": {"queue": "celery"},
    "registry.tasks.take_registry_snapshot": {"queue": "celery"},
    "registry.tasks.expire_exports": {"queue": "celery"},
    # Imports: the retiree registry's and the certification files' check and write.
    "registry.tasks.check_import_batch": {"queue": "imports"},
    "registry.tasks.run_import_batch": {"queue": "imports"},
    "registry.tasks.index_pending_import_names": {"queue": "imports"},
    "certification.tasks.check_certification_import": {"queue": "imports"},
    "certification.tasks.apply_certification_import": {"queue": "imports"},
    # The August suspension stops payments and queues the redraft of the plans: a money job.
    "certification.tasks.run_suspension": {"queue": "payouts"},
    # Background exports of lists (xlsx) render files as the PDF jobs do.
    "registry.tasks.run_export_job": {"queue": "pdfs"},
    # Bank files are money (they are what the banks pay from), whatever they are rendered as.
    "pensions.tasks.*bank_file*": {"queue": "payouts"},
    # Rendering (PDF notices and forms, xlsx exports) of any app, before the money catch-all below: a
    # pensions notice PDF is rendering, not money.
    "*.tasks.render_*": {"queue": "pdfs"},
    "*.tasks.*export*": {"queue": "pdfs"},
    "*.tasks.*pdf*": {"queue": "pdfs"},
    "*.tasks.*xlsx*": {"queue": "pdfs"},
    "*.tasks.*import*": {"queue": "imports"},
    # Everything else of pensions moves money: plan drafting, returns, the annual adjustment. Other apps have
    # no catch-all: a new task there must be routed by name or by one of the patterns above.
    "pensions.tasks.*": {"queue": "payouts"},
}
# The beat schedule lives in code, one beat process (django-celery-beat: duplicate runs; technical-notes.md).
CELERY_BEAT_SCHEDULE = {
    "registry-daily-snapshot": {
        "task": "registry.tasks.take_registry_snapshot",
        "schedule": crontab(hour=1, minute=30),
    },
}

# County policy settings. Org units, banks and formats are data in the database; these vary between counties
# too but are needed as plain values (docs/domain-decisions.md).
RETIREE_LIST_PAGE_SIZE = int(os.environ.get("RETIREE_LIST_PAGE_SIZE", "50"))
# The payout calendar (seed 000 §2): the month's plan is made before day P, funds reach the banks before day F
# and the retirees' accounts before day C.
PAYOUT_PLAN_DAY = int(os.environ.get("PAYOUT_PLAN_DAY", "10"))
PAYOUT_FUNDING_DAY = int(os.environ.get("PAYOUT_FUNDING_DAY", "15"))
PAYOUT_CREDIT_DAY = int(os.environ.get("PAYOUT_CREDIT_DAY", "20"))
# The first month this system pays (YYYY-MM): plans are drafted from it up to next month, never earlier
# (docs/payouts.md "Which months can be drafted"). The default covers the demo county's payout history.
PAYOUT_FIRST_MONTH = os.environ.get("PAYOUT_FIRST_MONTH", "2025-01")
# On day P the month closes; the beat job then drafts the next month's plan for the clerks to check,
# regenerate and submit (docs/payouts.md).
CELERY_BEAT_SCHEDULE["pensions-draft-payout-plan"] = {
    "task": "pensions.tasks.draft_payout_plan",
    "schedule": crontab(hour=2, minute=0, day_of_month=PAYOUT_PLAN_DAY),
}
# Annual certification (docs/domain.md): "campaign" (one window a year) or "rolling_12_months" (each
# certification valid 12 months from its date), copied onto each new campaign.
CERTIFICATION_MODE = os.environ.get("CERTIFICATION_MODE", "campaign")
# Jobs (the suspension job) act as the inactive staff account named here (created on first use by
# registry.services.system_staff; nobody can sign in as it).
SYSTEM_STAFF_USERNAME = os.environ.get("SYSTEM_STAFF_USERNAME", "system")
# Daily; the task does nothing before the year's suspension date and runs once per year after it.
CELERY_BEAT_SCHEDULE["certification-suspension"] = {
    "task": "certification.tasks.run_suspension",
    "schedule": crontab(hour=3, minute=0),
}
# The bureau's address and phone, printed on the suspension notices (where to ask) and on the remote
# residents' forms (where to return them). Empty: the paper leaves a line to fill in by hand.
BUREAU_ADDRESS = os.environ.get("BUREAU_ADDRESS", "")
BUREAU_PHONE = os.environ.get("BUREAU_PHONE", "")
# The largest scan (committee or hospital certificate) the entry screen accepts: 10 MB.
CERTIFICATION_DOCUMENT_MAX_BYTES = int(os.environ.get("CERTIFICATION_DOCUMENT_MAX_BYTES", "10485760"))
# Forms laid out per second by WeasyPrint on the server (measured, bench/remote_forms.py): only the estimate
# behind the remote batch's progress bar, since WeasyPrint reports nothing while it lays out a batch.
CERTIFICATION_REMOTE_FORMS_PER_SECOND = float(os.environ.get("CERTIFICATION_REMOTE_FORMS_PER_SECOND", "20"))
# The shipped bank-file profile (pensions/bankfiles) a bank is written with when it has no profile setting of
# its own, by bank code (the demo county's banks; docs/bank-files.md). Other banks: generic_xlsx.
BANK_FILE_DEFAULT_PROFILES = {"PSBC": "psbc", "CCB": "ccb", "RCB": "ebank"}
# The largest share of a month's regular amount a recovery (追回) may take from one payout; net never goes
# below zero.
RECOVERY_MAX_SHARE = Decimal(os.environ.get("RECOVERY_MAX_SHARE", "0.5"))
# Benefit certificate numbers: county code + year of issue + a per-year sequence, never reused.
CERTIFICATE_NUMBER_PATTERN = os.environ.get("CERTIFICATE_NUMBER_PATTERN", "{county_code}{year}{sequence:05d}")
# The management fee a retiree pays at intake (seed 000 §3.1: "退管费"); the clerk can change it per person.
INTAKE_MANAGEMENT_FEE = os.environ.get("INTAKE_MANAGEMENT_FEE", "150.00")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Intake: the photo for the benefit certificate (seed 000 §3.1: 一寸免冠近照) and the agent's proof document.
INTAKE_PHOTO_MAX_BYTES = int(os.environ.get("INTAKE_PHOTO_MAX_BYTES", str(2 * 1024 * 1024)))
INTAKE_PROOF_MAX_BYTES = int(os.environ.get("INTAKE_PROOF_MAX_BYTES", str(10 * 1024 * 1024)))

# Information changes (seed 000 §5): the largest scanned document (pdf/jpg/png) a change request accepts.
CHANGE_REQUEST_DOCUMENT_MAX_BYTES = int(
    os.environ.get("CHANGE_REQUEST_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024))
)
# The youngest age at which a work start date is accepted (sensible-order check on corrections).
CHANGE_REQUEST_MIN_WORK_AGE = int(os.environ.get("CHANGE_REQUEST_MIN_WORK_AGE", "14"))

# Entries per "更多" step of a record's audit tab (操作记录).
RETIREE_AUDIT_PAGE_SIZE = int(os.environ.get("RETIREE_AUDIT_PAGE_SIZE", "30"))

# Bulk import of existing retirees (docs/import.md): the largest upload in MB.
IMPORT_MAX_UPLOAD_MB = int(os.environ.get("IMPORT_MAX_UPLOAD_MB", "30"))
# How often the check writes its progress to the batch (rows), and how many problems the preview shows.
IMPORT_PROGRESS_EVERY = int(os.environ.get("IMPORT_PROGRESS_EVERY", "2000"))
IMPORT_PREVIEW_PROBLEMS = int(os.environ.get("IMPORT_PREVIEW_PROBLEMS", "200"))

# Upload limits per kind, checked before any parsing (docs/jobs.md "Uploads"): data rows per file, counted
# from the file's structure (an 8 MB xlsx can hold a million rows), and MB. Scans: their *_MAX_BYTES above.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
CERTIFICATION_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("CERTIFICATION_IMPORT_MAX_UPLOAD_MB", "30"))
CERTIFICATION_IMPORT_MAX_ROWS = int(os.environ.get("CERTIFICATION_IMPORT_MAX_ROWS", "200000"))
# Up to this many data rows a certification import is checked in the request (the preview at once); above it
# the request keeps the file and the worker checks it while the page shows progress.
CERTIFICATION_IMPORT_INLINE_MAX_ROWS = int(os.environ.get("CERTIFICATION_IMPORT_INLINE_MAX_ROWS", "5000"))
# A bank's return file: MB; its rows may not exceed the lines sent by more than a header and trailer.
RETURN_FILE_MAX_UPLOAD_MB = int(os.environ.get("RETURN_FILE_MAX_UPLOAD_MB", "30"))

# Long jobs (docs/jobs.md): a running job whose heartbeat has not moved for this many minutes lost its worker;
# the sweeper (beat) marks it 任务中断 and its page offers to run it again.
JOB_STALE_MINUTES = int(os.environ.get("JOB_STALE_MINUTES", "10"))
CELERY_BEAT_SCHEDULE["registry-sweep-stale-jobs"] = {
    "task": "registry.tasks.sweep_stale_jobs",
    "schedule": crontab(minute="*/2"),
}
# An import's search keys are written by its own job right after the commit; this picks up a batch whose job
# failed there (docs/import.md, step 5).
CELERY_BEAT_SCHEDULE["registry-index-pending-import-names"] = {
    "task": "registry.tasks.index_pending_import_names",
    "schedule": crontab(minute="*/5"),
}

# Audit triggers fire once per statement and copy the statement's rows from its transition table, so an
# import of 100,000 people or a mass status update writes its history in one INSERT … SELECT, not 100,000
# trigger calls (ADR 0004). django-stubs reads this module while mypy is still inside pgtrigger's imports, so
# mypy sometimes cannot type the constant here; the value is pgtrigger's own Statement level either way.
PGHISTORY_LEVEL = pgtrigger.Statement  # type: ignore[has-type, unused-ignore]

# Background file exports (docs/exports.md) ------------------------------------------------------------------
# A list export (xlsx) of more rows than this is made by the worker and offered in “我的导出”; up to it, the
# file is written inside the request as before.
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "5000"))
# The same for a PDF list: WeasyPrint lays out about 90 people a second on the 2-core machine, so a PDF goes
# to the worker much sooner than a spreadsheet.
EXPORT_INLINE_MAX_PDF_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_PDF_ROWS", "300"))
# A finished export's file is deleted this many hours after it was made (the row stays, as 已过期删除).
EXPORT_RETENTION_HOURS = int(os.environ.get("EXPORT_RETENTION_HOURS", "72"))
CELERY_BEAT_SCHEDULE["registry-expire-exports"] = {
    "task": "registry.tasks.expire_exports",
    "schedule": crontab(minute=17),
}
