"""Shequn settings, read from the environment with safe demo defaults."""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SHEQUN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _persistent_secret(name: str, nbytes: int = 32) -> str:
    """Read a secret from the environment, else from var/, generating it once."""
    if os.environ.get(name):
        return os.environ[name]
    path = VAR_DIR / f"{name.lower()}.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _persistent_secret("SHEQUN_SECRET_KEY", 50)
# Key material for personal data: AES-GCM for phone numbers, HMAC for look-ups.
PII_KEY = _persistent_secret("SHEQUN_PII_KEY")
DEBUG = _env_bool("SHEQUN_DEBUG", False)
DEMO_MODE = _env_bool("SHEQUN_DEMO", False)
# Member online payment: "sandbox" (demo gateway, no money moves), "wechat", or "" (pay at the store only).
# Empty means the sandbox in the demo or with SHEQUN_DEBUG, otherwise pay at the store.
SHEQUN_H5_ONLINE_PAYMENT = os.environ.get("SHEQUN_H5_ONLINE_PAYMENT", "")
ALLOWED_HOSTS = [h for h in os.environ.get("SHEQUN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("SHEQUN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs page with its own static files (no CDN)
    "axes",
    "django_tasks_db",
    "shequn.core",
    "shequn.accounts",
    "shequn.stores",
    "shequn.members",
    "shequn.loyalty",
    "shequn.communities",
    "shequn.commerce",
    "shequn.commerce.referral",
    "shequn.commerce.teams",
    "shequn.commerce.flash",
    "shequn.commerce.coupons",
    "shequn.commerce.groupbuy",
    "shequn.analytics",
    "shequn.messaging",
    "shequn.messaging.webhooks",
    "shequn.console",
    "shequn.h5",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shequn.config.urls"
WSGI_APPLICATION = "shequn.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shequn.core.context.shequn_context",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'shequn.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writer takes the lock at BEGIN, so concurrent writers queue
        # instead of failing half-way with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.StaffUser"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"

AXES_FAILURE_LIMIT = int(os.environ.get("SHEQUN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "console/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "shequn" / "locale"]
TIME_ZONE = os.environ.get("SHEQUN_TIME_ZONE", "Asia/Shanghai")
# The address members and providers reach this server at: entry-code QR codes, short links, unsubscribe links,
# payment notifications. Empty: http://localhost:8000 (development).
SHEQUN_PUBLIC_URL = os.environ.get("SHEQUN_PUBLIC_URL", "").rstrip("/")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SHEQUN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("SHEQUN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Outbound webhooks: seconds to wait for a receiver (connect, then each read), parallel POSTs per batch.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("SHEQUN_WEBHOOK_TIMEOUT", "10"))
WEBHOOK_CONCURRENCY = int(os.environ.get("SHEQUN_WEBHOOK_CONCURRENCY", "8"))

# Member one-time login codes.
OTP_TTL_SECONDS = 300
OTP_MAX_PER_PHONE_PER_HOUR = int(os.environ.get("SHEQUN_OTP_PER_HOUR", "5"))
OTP_MIN_INTERVAL_SECONDS = int(os.environ.get("SHEQUN_OTP_INTERVAL", "60"))
OTP_MAX_ATTEMPTS = 5
# WeCom (企业微信) callback: the token, EncodingAESKey and corp id set in the WeCom admin console.
WECOM_TOKEN = os.environ.get("SHEQUN_WECOM_TOKEN", "")
WECOM_AES_KEY = os.environ.get("SHEQUN_WECOM_AES_KEY", "")
WECOM_CORP_ID = os.environ.get("SHEQUN_WECOM_CORP_ID", "")
# Show one-time codes and outgoing messages on /m/dev/inbox/ (demo and development only).
DEV_INBOX = _env_bool("SHEQUN_DEV_INBOX", DEMO_MODE or DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "shequn": {"handlers": ["console"], "level": os.environ.get("SHEQUN_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
