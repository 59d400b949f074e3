"""The production configuration serves itself: `collectstatic` then gunicorn with DEBUG off and
a real SECRET_KEY answers /healthz and serves static files under hashed names, compressed and
cached for good, with no other web server in front."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import subprocess_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "SAFETYGYM_DEMO"}
    env.update(SECRET_KEY="a-production-key-" + "x" * 40, DJANGO_DEBUG="0",
               DATABASE_URL=subprocess_database_url(), SAFETYGYM_DATA_DIR=str(tmp_path / "data"),
               SAFETYGYM_STATIC_ROOT=str(tmp_path / "static"), ALLOWED_HOSTS="127.0.0.1")
    return env


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_serving(url, server, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn exited with code {server.returncode}"
        try:
            return get(url)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"gunicorn did not answer {url} within {seconds} s")


def test_gunicorn_serves_health_and_hashed_compressed_static_files(tmp_path):
    env = production_env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True, timeout=300)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "safetygym.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        status, _, body = wait_until_serving(f"http://127.0.0.1:{port}/healthz", server)
        assert status == 200, body
        assert json.loads(body)["ok"] is True
        status, headers, body = get(f"http://127.0.0.1:{port}/static/{hashed}",
                                    **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]
        status, _, _ = get(f"http://127.0.0.1:{port}/static/admin/css/missing.css")
        assert status == 404
        # DEBUG is off: an unknown page is a plain 404, not Django's debug page.
        status, _, body = get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404 and b"URLconf" not in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
