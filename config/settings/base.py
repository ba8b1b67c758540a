"""Settings shared by every environment. Environment-specific modules import * from here."""

import dj_database_url
from celery.schedules import crontab

from config.env import BASE_DIR, env

SECRET_KEY = env.str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "core",
    "audit",
    "accounts",
    "ledger",
    "vouchers",
    "settlement",
    "reports",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.logging.RequestLogMiddleware",
    "core.views.ApiNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]


# PostgreSQL: Django binds parameters on the client by default, so every statement reaches
# the server as new text to parse and plan. Bound by the server, a statement run 5 times on
# a connection is prepared and its plan reused: PostgreSQL's CPU per GET /api/v1/me/ fell
# from ~0.35 to ~0.1 ms and the voucher services ran 20-45 % more lifecycles/s on this
# 2-core box where the database shares the CPU (bench/http_overhead.py, vouchers_bench.py).
# Connections persist (DB_CONN_MAX_AGE seconds), so the prepared statements are reused.
# DB_PREPARED_STATEMENTS=0 switches preparing off everywhere (also the ledger's and audit's
# raw statements), e.g. behind PgBouncer in transaction mode.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", True)
LEDGER_PREPARED_STATEMENTS = DB_PREPARED_STATEMENTS


def _database(url: str | None) -> dict:
    if url:
        config = dj_database_url.parse(url, conn_max_age=env.int("DB_CONN_MAX_AGE", 60))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = SQLITE_OPTIONS
        elif DB_PREPARED_STATEMENTS:
            config["OPTIONS"] = {**config.get("OPTIONS", {}), "server_side_binding": True,
                                 "prepare_threshold": 5}
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "OPTIONS": SQLITE_OPTIONS,
    }


# Writers queue on SQLite's write lock instead of failing with "database is locked"
# (measured in ../shared/TOOLCHAIN.md): IMMEDIATE takes the lock at BEGIN.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}

DATABASES = {"default": _database(env.str("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Locks an account after LOGIN_FAILURE_LIMIT consecutive failed sign-ins (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Inside the config package, so an installed copy (pip install .) has its translations.
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
USE_I18N = True
# The programme's calendar: "today", windows and deadlines are dates in Shanghai.
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kjcxq",
    }
}
if env.str("REDIS_CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("REDIS_CACHE_URL"),
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.OrganisationTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.views.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.problem_exception_handler",
    # DRF's anon and user throttles, at a cost that does not grow with the rate.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.authentication.AnonRateThrottle",
        "core.authentication.UserRateThrottle",
    ],
    # Generous: an office behind one address makes hundreds of requests a minute.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", "600/min"),
        "user": env.str("THROTTLE_USER", "3000/min"),
        "login": env.str("THROTTLE_LOGIN", "60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Sign-in lock-out: after this many consecutive failures an account is locked for a while.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCK_SECONDS = env.int("LOGIN_LOCK_SECONDS", 900)

SPECTACULAR_SETTINGS = {
    "TITLE": "科技创新券 Science Innovation Vouchers API",
    "DESCRIPTION": "Issuance, redemption and settlement of science innovation vouchers. "
    "Amounts are strings in yuan with exactly two decimals.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganizationStatusEnum": "accounts.models.Organization.Status",
        "ApplicationStatusEnum": "vouchers.models.Application.Status",
        "VoucherStatusEnum": "vouchers.models.Voucher.Status",
        "ClaimStatusEnum": "vouchers.models.Claim.Status",
        "ServiceCategoryEnum": "accounts.models.ServiceCategory",
        "OrganizationKindEnum": "accounts.models.Organization.Kind",
        "ReconciliationExceptionKindEnum": "settlement.models.ReconciliationException.Kind",
    },
}

# Celery: inline (eager) unless a broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict = {
    # Vouchers past valid_until expire just after midnight, Shanghai time (vouchers.tasks).
    "vouchers-expire-daily": {
        "task": "vouchers.expire_daily",
        "schedule": crontab(hour=0, minute=10),
    },
    # Sent payment lines the bank has not answered by their due date (settlement.tasks).
    "settlement-missing-bank-lines-daily": {
        "task": "settlement.missing_bank_lines_daily",
        "schedule": crontab(hour=0, minute=20),
    },
}

# Days after a batch is sent by which the bank's statement should report each of its lines;
# a line still unanswered after that is a reconciliation exception (settlement).
SETTLEMENT_DUE_DAYS = env.int("SETTLEMENT_DUE_DAYS", 3)

# Public base URL printed on statements (verification links).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

LOG_LEVEL = env.str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC, unambiguous for log shippers
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Key of the HMAC that turns resident ID numbers into stored references (ADR 0005).
# Changing it breaks related-party matching against existing records.
IDENTITY_HASH_SALT = env.str("IDENTITY_HASH_SALT", "dev-only-identity-salt")

# Statements (reports/, ADR 0020): rows above which a statement renders on a worker (202 +
# job URL); rows per chunk laid out in parallel; worker processes (default: the CPUs).
STATEMENT_ASYNC_ROWS = env.int("STATEMENT_ASYNC_ROWS", 300)
STATEMENT_CHUNK_ROWS = env.int("STATEMENT_CHUNK_ROWS", 250)
STATEMENT_RENDER_WORKERS = env.int("STATEMENT_RENDER_WORKERS", 0)
# the city whose bureaus issue statements not tied to one programme's region (GB/T 2260)
STATEMENT_CITY_REGION = env.str("STATEMENT_CITY_REGION", "430100")
# fontTools reports every table it subsets at INFO (one statement: ~40 lines)
LOGGING["loggers"]["fontTools"] = {"level": "WARNING"}
# WeasyPrint logs each rendering step (and its stylesheets at import) at INFO
LOGGING["loggers"]["weasyprint.progress"] = {"level": "WARNING"}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "StatementKindEnum": "reports.models.IssuedStatement.Kind",
    "StatementStatusEnum": "reports.models.IssuedStatement.Status",
})
