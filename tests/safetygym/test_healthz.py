"""/healthz answers 200 when the database and the queue's broker answer, 503 naming what does
not; `manage.py health` says the same for a worker."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require_service, subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"] == {"ok": True, "engine": connection.vendor}
    assert body["broker"]["ok"] is True and body["broker"]["queued"] == 0
    assert response["Cache-Control"] == "no-store"


@pytest.mark.services
@pytest.mark.django_db
def test_healthz_on_postgresql_and_redis(client):
    require_service("postgresql")
    require_service("redis")
    body = client.get("/healthz").json()
    assert body["database"]["engine"] == "postgresql"
    assert body["broker"]["broker"].startswith("Redis ")


def health_command(**env):
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), **env}
    return subprocess.run([sys.executable, "manage.py", "health"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.django_db
def test_an_unreachable_broker_makes_the_worker_check_fail_by_name():
    # Nothing listens on port 1 of the loopback interface.
    done = health_command(SAFETYGYM_BROKER_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 1
    assert "unhealthy: broker" in done.stderr
    results = json.loads(done.stdout)
    assert results["database"]["ok"] is True
    assert results["broker"]["ok"] is False and "ConnectionError" in results["broker"]["error"]


def test_an_unreachable_database_makes_the_check_fail_by_name():
    done = health_command(DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert done.returncode == 1
    results = json.loads(done.stdout)
    assert results["database"]["ok"] is False and "OperationalError" in results["database"]["error"]
