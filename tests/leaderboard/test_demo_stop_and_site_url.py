"""The demo ends on Ctrl-C with one line and its worker stopped, not a traceback; and its
e-mailed links point at the address it serves, unless SAFETYGYM_SITE_URL says otherwise."""

import io
import os
import subprocess

import pytest
from django.core.management import call_command

from benchmarks import catalog
from leaderboard.management.commands import demo

pytestmark = pytest.mark.django_db


def interrupted(*args, **kwargs):
    raise KeyboardInterrupt


def run_demo(**options):
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def no_site_url(monkeypatch, settings):
    """SAFETYGYM_SITE_URL unset here and restored after; settings restored by `settings`."""
    monkeypatch.setenv("SAFETYGYM_SITE_URL", "restored after the test")
    monkeypatch.delenv("SAFETYGYM_SITE_URL")


def test_ctrl_c_while_loading_prints_stopped(monkeypatch, no_site_url):
    monkeypatch.setattr(demo, "resolve_version", interrupted)
    assert run_demo(no_serve=True) == "stopped\n"


def test_ctrl_c_while_evaluating_stops_the_worker_and_prints_stopped(monkeypatch, no_site_url):
    worker = subprocess.Popen(["sleep", "60"], start_new_session=True)
    monkeypatch.setattr(catalog, "BENCHMARKS", [])
    monkeypatch.setattr(demo.Command, "start_worker", lambda self: worker)
    monkeypatch.setattr(demo.Command, "wait_for", interrupted)
    out = run_demo(no_serve=True)
    assert out.endswith("stopped\n") and "Traceback" not in out
    assert worker.poll() is not None  # ended, not left running


def test_emailed_links_follow_the_demos_address(monkeypatch, settings, no_site_url):
    monkeypatch.setattr(demo, "resolve_version", interrupted)
    run_demo(no_serve=True, addr="127.0.0.1:8123")
    assert settings.SITE_URL == "http://127.0.0.1:8123"
    assert os.environ["SAFETYGYM_SITE_URL"] == "http://127.0.0.1:8123"  # what the worker reads


def test_the_environments_site_url_wins(monkeypatch, settings):
    monkeypatch.setenv("SAFETYGYM_SITE_URL", "https://gym.example.org")
    settings.SITE_URL = "https://gym.example.org"
    monkeypatch.setattr(demo, "resolve_version", interrupted)
    run_demo(no_serve=True, addr="127.0.0.1:8123")
    assert settings.SITE_URL == "https://gym.example.org"
