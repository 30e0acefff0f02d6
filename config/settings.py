"""Settings for Will it run?, read from the environment (see .env.example)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_htmx",
    "csp",
    "template_partials",
    "simple_history",
    "import_export",
    "catalog",
    "calculator",
    "reverse_questions",
    "glossary",
    "costs",
    "community",
    "site_index",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.LongUrlMiddleware",  # an address too long to read: 414, before any work on it
    "config.middleware.RateLimitMiddleware",
    "catalog.cache.CatalogVersionMiddleware",  # the catalog version read once per request
    "config.htmx.SameAddressMiddleware",  # an HTMX answer for the address shown: 204
    "config.http_cache.PublicResponseMiddleware",
    "catalog.slugs.FormerSlugRedirectMiddleware",  # a page asked with a renamed slug: 301
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    "config.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["config.url_tag"],  # {% url %}, each URL reversed once per process
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the zero-setup default; DATABASE_URL=postgres://... selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),  # one SELECT 1 per request reusing it
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CONTENT_DIR = BASE_DIR / "content"

# Local memory by default; CACHE_URL=redis://host:6379/0 shares the cache between processes.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        # Django's, with one Redis client per process instead of one per call (config/redis_cache.py)
        {"BACKEND": "config.redis_cache.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        # per process: 1,000 entries (whole pages among them, ~40 KB each) bound each worker's memory
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}}
    )
}

# Security. TLS is usually terminated by the proxy in front; these assume the site is served over HTTPS
# when DEBUG is off. SECURE_SSL_REDIRECT=1 where no proxy redirects HTTP to HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)  # trust X-Forwarded-Proto/-For from the proxy in front
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: everything from our own origin, no inline script, no framing.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


# Per-client rate limits (config/middleware.py RateLimitMiddleware): at most <SCOPE>_RATE_LIMIT requests
# per <SCOPE>_RATE_WINDOW seconds, then 429; a limit of 0 turns that scope off.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 120)  # /api/
API_RATE_WINDOW = env_int("API_RATE_WINDOW", 60)
# /, /what-runs/, /what-hardware/, /compare/, /og.png, /own-model/, /r/<id>: a visitor changing inputs
# sends one request per change (the form waits 300 ms between keystrokes), a few per second at most.
PAGE_RATE_LIMIT = env_int("PAGE_RATE_LIMIT", 300)
PAGE_RATE_WINDOW = env_int("PAGE_RATE_WINDOW", 60)
# POST /r/: each share stores a snapshot row (7 KB for an estimate, 190 KB for what runs on 8 GPUs).
SHARE_RATE_LIMIT = env_int("SHARE_RATE_LIMIT", 30)
SHARE_RATE_WINDOW = env_int("SHARE_RATE_WINDOW", 3600)
# Cloud and API prices older than this many days are shown with a warning (/cost/, /choose/).
COSTS_PRICE_MAX_AGE_DAYS = env_int("COSTS_PRICE_MAX_AGE_DAYS", 180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Public pages are cached on their URL, the release and this version of what they are computed from.
HTTP_CACHE_DATA_VERSION = "catalog.cache.data_version_and"
