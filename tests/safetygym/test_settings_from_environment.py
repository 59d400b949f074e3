"""Settings come from the environment with safe defaults: DEBUG off, SECRET_KEY required
outside the demo, Redis for the queue and the cache when named, secure cookies behind a flag,
and a task retry above the task timeout."""

import json
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]

SHOW = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG, "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_PROXY_SSL_HEADER": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "Q_CLUSTER": settings.Q_CLUSTER, "CACHE": settings.CACHES["default"],
    "DATABASE": settings.DATABASES["default"]["ENGINE"],
    "STATICFILES": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def settings_under(tmp_path, **env):
    """The settings a fresh process reads from exactly this environment (no demo flag)."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("SAFETYGYM_", "DJANGO_", "DATABASE_URL", "SECRET_KEY",
                                    "ALLOWED_HOSTS"))}
    clean.update(DJANGO_SETTINGS_MODULE="safetygym.settings", SAFETYGYM_DATA_DIR=str(tmp_path))
    clean.update(env)
    done = subprocess.run([sys.executable, "-c", SHOW], env=clean, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return done


def shown(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_outside_the_demo_a_missing_secret_key_is_a_clear_error(tmp_path):
    done = settings_under(tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr
    assert "SAFETYGYM_DEMO=1" in done.stderr
    assert not (tmp_path / "secret_key").exists()


def test_the_demo_generates_its_key_once_and_keeps_it(tmp_path):
    shown(settings_under(tmp_path, SAFETYGYM_DEMO="1"))
    key = (tmp_path / "secret_key").read_text()
    shown(settings_under(tmp_path, SAFETYGYM_DEMO="1"))
    assert (tmp_path / "secret_key").read_text() == key and len(key) > 40
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_production_defaults_are_safe(tmp_path):
    values = shown(settings_under(tmp_path, SECRET_KEY="k" * 50))
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["STATICFILES"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["Q_CLUSTER"]["orm"] == "default" and "redis" not in values["Q_CLUSTER"]
    assert values["CACHE"]["BACKEND"].endswith("LocMemCache")


def test_a_deployment_names_its_hosts_database_redis_and_tls(tmp_path):
    values = shown(settings_under(
        tmp_path, SECRET_KEY="k" * 50, ALLOWED_HOSTS="gym.example.org, 127.0.0.1",
        DATABASE_URL="postgres://gym@db:5432/gym", SAFETYGYM_BROKER_URL="redis://redis:6379/0",
        SAFETYGYM_CACHE_URL="redis://redis:6379/1", SAFETYGYM_SECURE_COOKIES="1",
        SAFETYGYM_BEHIND_TLS_PROXY="1", SAFETYGYM_QUEUE_NAME="gym",
    ))
    assert values["ALLOWED_HOSTS"] == ["gym.example.org", "127.0.0.1"]
    assert values["DATABASE"] == "django.db.backends.postgresql"
    assert values["Q_CLUSTER"]["redis"] == "redis://redis:6379/0"
    assert "orm" not in values["Q_CLUSTER"] and values["Q_CLUSTER"]["name"] == "gym"
    assert values["CACHE"] == {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://redis:6379/1", "KEY_PREFIX": "safetygym"}
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_broker_url_that_is_not_redis_is_refused_by_name(tmp_path):
    done = settings_under(tmp_path, SECRET_KEY="k" * 50, SAFETYGYM_BROKER_URL="amqp://mq:5672")
    assert done.returncode != 0
    assert "SAFETYGYM_BROKER_URL='amqp://mq:5672' is not a Redis URL" in done.stderr


def test_the_task_retry_is_above_the_task_timeout_which_is_above_the_time_limit(tmp_path):
    cluster = shown(settings_under(tmp_path, SECRET_KEY="k" * 50,
                                   SAFETYGYM_EVALUATION_TIME_LIMIT_S="600"))["Q_CLUSTER"]
    assert 600 < cluster["timeout"] < cluster["retry"]
    assert (cluster["timeout"], cluster["retry"]) == (1200, 1800)


def test_debug_is_only_on_when_asked(tmp_path):
    assert shown(settings_under(tmp_path, SECRET_KEY="k" * 50, DJANGO_DEBUG="1"))["DEBUG"] is True
