"""Settings, read from the environment (docs/deploy.md lists every variable).

With no environment at all this is the embedded default: SQLite and the django-q2 ORM broker in
``var/`` under the project folder. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3),
``SAFETYGYM_BROKER_URL`` the queue to Redis and ``SAFETYGYM_CACHE_URL`` the cache to Redis.

Outside the demo and the tests (``SAFETYGYM_DEMO=1``, set by ``make demo``), ``SECRET_KEY`` is
required: a key generated on one machine would differ between the web servers of a deployment.
"""

import os
import secrets
import socket
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SAFETYGYM_DATA_DIR", BASE_DIR / "var"))
# The database, uploads and the secret key live here: no one else on the machine may read them
# (nor a sandboxed agent that ran as "nobody" and escaped).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _flag(name, default=False):
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def _list(name, default=""):
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


if sys.argv[1:2] == ["demo"]:
    # `manage.py demo` is the demo, and so is the worker it starts (which inherits this).
    os.environ.setdefault("SAFETYGYM_DEMO", "1")
# The tests run in the demo's mode; pytest imports these settings before any test runs.
DEMO = _flag("SAFETYGYM_DEMO") or "pytest" in sys.modules


def _secret_key():
    """The environment's key; in the demo only, one generated once and kept in DATA_DIR."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if not DEMO:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value, the same on every web server "
            "and worker (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set SAFETYGYM_DEMO=1 for a local demo, which keeps a generated key in "
            f"{DATA_DIR}."
        )
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("DJANGO_DEBUG")
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS")
# Behind a TLS-terminating proxy: cookies only over HTTPS, and the proxy's header says whether a
# request came over HTTPS (only set this where the proxy overwrites that header).
SECURE_COOKIES = _flag("SAFETYGYM_SECURE_COOKIES")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
if _flag("SAFETYGYM_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _flag("SAFETYGYM_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(os.environ.get("SAFETYGYM_HSTS_SECONDS", 0))
SECURE_CONTENT_TYPE_NOSNIFF = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_q",
    "benchmarks",
    "leaderboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the web process, compressed and cached for a year by name.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "safetygym.urls"
WSGI_APPLICATION = "safetygym.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'safetygym.sqlite3'}"),
        conn_max_age=60,
        # A connection kept open across requests is checked first (the server may have restarted).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to one file: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SAFETYGYM_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Production serves what `manage.py collectstatic` gathered, under hashed names; the demo and
# the tests serve the apps' files as they are, with no collect step.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEMO
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEMO
if DEMO:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # else whitenoise warns that it is missing

# The page cache, the API throttles and the in-process snapshots' keys: per process by default,
# shared by every web process of a deployment with SAFETYGYM_CACHE_URL=redis://….
CACHE_URL = os.environ.get("SAFETYGYM_CACHE_URL", "")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": CACHE_URL, "KEY_PREFIX": "safetygym"} if CACHE_URL
          else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # Scripts send `Authorization: Token <key>` (a key made on /accounts/tokens/); the browser
    # sends its session, and DRF then asks for the CSRF token on anything that changes state.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "leaderboard.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per client address (anonymous) or per user; a client over its rate gets a 429 saying
    # when to retry.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("SAFETYGYM_API_RATE_ANON", "600/minute"),
        "user": os.environ.get("SAFETYGYM_API_RATE_USER", "1200/minute"),
        # Creating submissions, on top of the per-day evaluation quota below: a script that
        # loops on an error is stopped early.
        "submissions": os.environ.get("SAFETYGYM_API_RATE_SUBMISSIONS", "30/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SafetyGym API",
    "DESCRIPTION": ("Benchmarks, bootstrap-ranked leaderboards, snapshots, evaluations and "
                    "submissions. Reading needs no account; creating a submission needs an API "
                    "token (made on /accounts/tokens/), sent as `Authorization: Token <key>`."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# The evaluation runs inside the task, and its own time limit is enforced by the sandbox; the
# task timeout sits above it and `retry` above that, or django-q2 would start a long task twice.
# Neither is what recovers a killed worker's evaluation: the evaluation's lease is (below).
EVALUATION_TIME_LIMIT_S = int(os.environ.get("SAFETYGYM_EVALUATION_TIME_LIMIT_S", 3 * 3600))
# A running evaluation's lease: its worker renews it every third of this; the watchdog requeues
# the evaluations whose lease is older than this (their worker died or lost the database).
EVALUATION_LEASE_S = float(os.environ.get("SAFETYGYM_EVALUATION_LEASE_S", 90))
# Who holds a lease: this host and process (the worker's pid is added when it takes one).
WORKER_HOST = os.environ.get("SAFETYGYM_WORKER_NAME") or socket.gethostname()
# The queue: django-q2's ORM broker in the database by default; Redis with a redis:// URL.
BROKER_URL = os.environ.get("SAFETYGYM_BROKER_URL", "")
if BROKER_URL and not BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"SAFETYGYM_BROKER_URL={BROKER_URL!r} is not a Redis URL (redis://host:6379/0, "
        "rediss://… or unix://…); leave it unset for the database's own queue."
    )
Q_CLUSTER = {
    "name": os.environ.get("SAFETYGYM_QUEUE_NAME", "safetygym"),
    **({"redis": BROKER_URL} if BROKER_URL else {"orm": "default"}),
    "workers": int(os.environ.get("SAFETYGYM_WORKERS", 1)),
    "timeout": EVALUATION_TIME_LIMIT_S + 600,
    "retry": EVALUATION_TIME_LIMIT_S + 1200,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "label": "Task queue",
}

# The sandbox: which backend runs agents, and the limits every run gets. `auto` takes docker
# where an engine and the runner image are there, else bwrap, else local.
SANDBOX_BACKEND = os.environ.get("SAFETYGYM_SANDBOX", "auto")
SANDBOX_RUNNER_IMAGE = os.environ.get("SAFETYGYM_RUNNER_IMAGE", "safetygym-runner:1")
SANDBOX_RUNTIME = os.environ.get("SAFETYGYM_SANDBOX_RUNTIME") or None  # e.g. runsc (gVisor)
SANDBOX_CPUS = float(os.environ.get("SAFETYGYM_SANDBOX_CPUS", 2))
SANDBOX_RUNNER_VENV = Path(
    os.environ.get("SAFETYGYM_RUNNER_VENV", BASE_DIR / "var" / "runner" / "venv")
)
# `local` is a plain subprocess: fit for the repository's own trusted baselines, not for uploads.
SANDBOX_ALLOW_UNTRUSTED_LOCAL = _flag("SAFETYGYM_ALLOW_UNTRUSTED_LOCAL")
SANDBOX_MEMORY_MB = int(os.environ.get("SAFETYGYM_SANDBOX_MEMORY_MB", 2048))
SANDBOX_REQUEST_TIMEOUT_S = float(os.environ.get("SAFETYGYM_SANDBOX_REQUEST_TIMEOUT_S", 120))
SANDBOX_START_TIMEOUT_S = float(os.environ.get("SAFETYGYM_SANDBOX_START_TIMEOUT_S", 120))

AGENT_UPLOAD_DIR = DATA_DIR / "agents"

# Submissions from the web form and the API. The archive limit is checked before the archive
# is opened; a proxy in front (client_max_body_size) should refuse larger bodies still earlier.
SUBMISSION_MAX_ARCHIVE_MB = int(os.environ.get("SAFETYGYM_SUBMISSION_MAX_ARCHIVE_MB", 200))
# Evaluations each user may start per 24 hours; those that failed on SafetyGym's side
# (platform_error) are not counted. Staff have no quota.
EVALUATIONS_PER_DAY = int(os.environ.get("SAFETYGYM_EVALUATIONS_PER_DAY", 20))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-submissions"
LOGOUT_REDIRECT_URL = "index"
# Links in e-mails need the address people reach the site at.
SITE_URL = os.environ.get("SAFETYGYM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# E-mail (the notice that an evaluation ended): printed to the console unless an SMTP host is
# set.
DEFAULT_FROM_EMAIL = os.environ.get("SAFETYGYM_EMAIL_FROM", "SafetyGym <safetygym@localhost>")
if os.environ.get("SAFETYGYM_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["SAFETYGYM_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("SAFETYGYM_EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("SAFETYGYM_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("SAFETYGYM_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = _flag("SAFETYGYM_EMAIL_TLS", default=True)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Hugging Face models: the worker fetches each pinned snapshot into this hub cache (shared by
# every worker of the host; snapshot_download's layout), and refuses repositories whose files to
# fetch (safetensors weights, configs, tokenizer) exceed the cap. With HF_HUB_OFFLINE=1 only
# models already in the cache can be submitted.
HF_CACHE_DIR = Path(os.environ.get("SAFETYGYM_HF_CACHE", DATA_DIR / "hf-cache"))
HF_MAX_MODEL_MB = int(os.environ.get("SAFETYGYM_HF_MAX_MODEL_MB", 1024))

BOOTSTRAP_REPLICATES = int(os.environ.get("SAFETYGYM_BOOTSTRAP_REPLICATES", 2000))

# Leaderboard pages are served from the cache for this many seconds (0: never): a burst of
# readers costs one render, and a new evaluation shows after at most this long.
PAGE_CACHE_SECONDS = int(os.environ.get("SAFETYGYM_PAGE_CACHE_SECONDS", 5))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SAFETYGYM_LOG_LEVEL", "INFO")},
    # The worker reports each task; other commands need not say "Enqueued".
    "loggers": {"django-q": {"level": os.environ.get(
        "SAFETYGYM_QUEUE_LOG_LEVEL", "INFO" if "qcluster" in sys.argv else "WARNING")}},
}
