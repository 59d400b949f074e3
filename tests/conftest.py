import os
import textwrap

import pytest

# Commands the tests start (a worker, gunicorn) run in the demo's mode too: a generated key.
os.environ.setdefault("SAFETYGYM_DEMO", "1")
# No test reaches the Hugging Face hub: models come from hub-cache folders the tests make.
# Without it a cached load retries the network for ~70 s.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from sandbox.selection import AVAILABILITY

# A keyword agent: "good" or "great" → positive with 0.8, otherwise negative with 0.7.
KEYWORD_AGENT = """
labels = ["negative", "positive"]
input_kind = "text"

def predict(inputs):
    rows = []
    for text in inputs:
        if "good" in text or "great" in text:
            rows.append([0.2, 0.8])
        else:
            rows.append([0.7, 0.3])
    return rows
"""


@pytest.fixture
def write_agent(tmp_path):
    """Write an agent folder from agent.py source; returns its path."""
    counter = iter(range(10_000))

    def write(source, name=None, files=None):
        folder = tmp_path / (name or f"agent{next(counter)}")
        folder.mkdir(parents=True)
        (folder / "agent.py").write_text(textwrap.dedent(source))
        for relative, content in (files or {}).items():
            (folder / relative).write_text(content)
        return folder

    return write


@pytest.fixture
def hf_cache(tmp_path, settings):
    """An empty hub cache in the test's folder, used as the server's model cache."""
    folder = tmp_path / "hub"
    folder.mkdir()
    settings.HF_CACHE_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _agent_uploads_in_tmp(settings, tmp_path):
    """Uploaded agents are copied into a per-test folder, never into the project's var/."""
    settings.AGENT_UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def _evaluations_run_on_the_local_backend(settings):
    """Evaluations in tests run on the local backend: fast and needing no engine. The docker and
    bwrap backends have their own tests, and tests/leaderboard/test_evaluation_backends.py runs
    whole evaluations on each."""
    settings.SANDBOX_BACKEND = "local"


def skip_unless_backend_runs(name):
    """Skip a test that needs the docker or bwrap backend where it cannot run here, with the
    reason; where SAFETYGYM_REQUIRE_SANDBOXES lists the backend (CI does) the test fails instead."""
    runs, reason = AVAILABILITY[name]()
    if runs:
        return
    if name in os.environ.get("SAFETYGYM_REQUIRE_SANDBOXES", "").split(","):
        pytest.fail(f"the {name} backend is required here but cannot run: {reason}")
    pytest.skip(f"the {name} backend cannot run here: {reason}")


def subprocess_database_url():
    """The URL of the test database the tests write to, for a process a test starts."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def service_answers(name):
    """(answers, why not): postgresql is the tests' database, redis the queue's broker."""
    from django.conf import settings
    from django.db import connection

    if name == "postgresql":
        if connection.vendor != "postgresql":
            return False, f"the tests' database is {connection.vendor} (set DATABASE_URL)"
        return True, ""
    if name == "redis":
        if not settings.BROKER_URL:
            return False, "the queue's broker is the database (set SAFETYGYM_BROKER_URL)"
        from django_q.brokers import get_broker

        try:
            get_broker().ping()
        except Exception as error:  # whatever the client raises, the service is not there
            return False, f"Redis at {settings.BROKER_URL} does not answer: {error}"
        return True, ""
    raise ValueError(f"unknown service {name!r}")


def require_service(name):
    """Skip a test that needs PostgreSQL or Redis where the run does not use it, with the
    reason; where SAFETYGYM_REQUIRE_SERVICES lists it (CI does) the test fails instead."""
    answers, reason = service_answers(name)
    if answers:
        return
    if name in os.environ.get("SAFETYGYM_REQUIRE_SERVICES", "").split(","):
        pytest.fail(f"{name} is required here but not used: {reason}")
    pytest.skip(f"needs {name}: {reason}")


@pytest.fixture(autouse=True)
def _pages_are_rendered_afresh(settings):
    """Tests see each change at once; tests/leaderboard/test_page_cache.py turns it back on."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with empty caches: rendered boards, badges, throttle counters and the
    snapshots kept in the process are keyed by ids that the next test's database reuses."""
    from django.core.cache import cache

    from leaderboard.queries import entries_by

    cache.clear()
    entries_by.cache_clear()
    yield
    cache.clear()
    entries_by.cache_clear()


@pytest.fixture(autouse=True)
def _empty_queue():
    """A Redis queue outlives the test database: a task left by an earlier test would name an
    evaluation id that this test's database may reuse."""
    from django.conf import settings

    if settings.BROKER_URL:
        from django_q.brokers import get_broker

        get_broker().purge_queue()
