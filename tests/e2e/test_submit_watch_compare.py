"""In a real browser: a new user signs up, submits an agent archive, watches its evaluation
update in place until it finishes, finds it on the leaderboard, compares it with a baseline
and copies the badge's Markdown."""

import threading
import time
import zipfile

import pytest
from django.db import close_old_connections, connection

from leaderboard.models import Evaluation
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import run_evaluation
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The keyword agent, slowed down so that the page shows it running before it finishes.
SLOW_KEYWORD_AGENT = """
import time

labels = ["negative", "positive"]

def predict(inputs):
    time.sleep(1.5)
    return [[0.2, 0.8] if "good" in text or "great" in text else [0.7, 0.3] for text in inputs]
"""
WAIT_S = 60


class Worker(threading.Thread):
    """Runs queued evaluations in this process, as `manage.py qcluster` would."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.is_set():
                for pk in Evaluation.objects.filter(status="queued").values_list("pk", flat=True):
                    run_evaluation(pk)
                time.sleep(0.3)
        finally:
            connection.close()

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)


def wait_for(condition, what, seconds=WAIT_S):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        close_old_connections()
        try:
            value = condition()
        except (NoSuchElementException, StaleElementReferenceException):
            value = None  # the page swapped the part being read: read it again
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


def test_a_new_user_submits_watches_finds_compares_and_copies_the_badge(
        browser, live_server, tiny_version, write_agent, tmp_path, settings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL = True  # the local backend runs the upload here
    baseline = create_agent_submission(write_agent(PRIOR_AGENT), name="Prior baseline",
                                       trusted=True)
    run_evaluation(Evaluation.objects.create(submission=baseline,
                                             benchmark_version=tiny_version).pk)
    archive = tmp_path / "keyword_agent.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("keyword_agent/agent.py", SLOW_KEYWORD_AGENT)
        packed.writestr("__MACOSX/keyword_agent/._agent.py", b"\x00\x05\x16\x07")
    find = browser.find_element

    # Sign up: it logs in and lands on the submission form.
    browser.get(live_server.url + "/")
    find(By.LINK_TEXT, "Sign up").click()
    find(By.NAME, "username").send_keys("grace")
    find(By.NAME, "email").send_keys("grace@example.org")
    find(By.NAME, "password1").send_keys("a long passphrase 7")
    find(By.NAME, "password2").send_keys("a long passphrase 7")
    find(By.ID, "signup").click()
    wait_for(lambda: browser.current_url.endswith("/submit/"), "the submission form")
    assert "Log out grace" in find(By.TAG_NAME, "header").text

    # Submit the archive on the tiny benchmark.
    find(By.NAME, "archive").send_keys(str(archive))
    find(By.NAME, "name").send_keys("Grace's keyword model")
    find(By.NAME, "description").send_keys("looks for good words")
    find(By.CSS_SELECTOR, "input[name=benchmarks][value=tiny]").click()
    find(By.ID, "submit").click()
    wait_for(lambda: "/evaluations/" in browser.current_url, "the evaluation page")
    assert find(By.ID, "status").text == "queued"
    assert "position 1 in the queue" in find(By.ID, "live-status").text

    # Watch it: the status part updates in place (the page is not reloaded) while it runs,
    # then the page reloads once with the results.
    browser.execute_script("window.notReloaded = true;")
    worker = Worker()
    worker.start()
    try:
        seen = wait_for(lambda: find(By.ID, "status").text in ("preparing", "running", "scoring")
                        and find(By.ID, "status").text, "the page to show it running")
        assert browser.execute_script("return window.notReloaded === true;"), seen
        wait_for(lambda: browser.find_elements(By.ID, "leaderboard-entry"), "the results")
    finally:
        worker.stop()
    assert find(By.ID, "status").text == "finished"
    assert browser.execute_script("return window.notReloaded === undefined;")
    assert "Rank 1" in find(By.ID, "leaderboard-entry").text

    # Compare it with the baseline from its page.
    evaluation_url = browser.current_url
    Select(find(By.NAME, "b")).select_by_visible_text(
        next(option.text for option in Select(find(By.NAME, "b")).options
             if option.text.startswith("Prior baseline")))
    find(By.CSS_SELECTOR, "#leaderboard-entry button[type=submit]").click()
    wait_for(lambda: "/compare/" in browser.current_url, "the comparison")
    compare_text = find(By.TAG_NAME, "main").text
    assert "Paired differences, A − B" in compare_text
    assert "Grace's keyword model" in compare_text and "Prior baseline" in compare_text

    # Find it on the leaderboard.
    browser.get(live_server.url + "/benchmarks/tiny/v1/")
    board = find(By.CSS_SELECTOR, "table.board").text
    assert "Grace's keyword model" in board and "Prior baseline" in board

    # Copy the badge's Markdown from its page.
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": live_server.url,
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.get(evaluation_url)
    snippet = find(By.ID, "badge-markdown").get_attribute("value")
    find(By.CSS_SELECTOR, "button[data-copy=badge-markdown]").click()
    wait_for(lambda: find(By.CSS_SELECTOR, "button[data-copy=badge-markdown]").text == "Copied",
             "the copy button to say Copied", seconds=10)
    copied = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('error: ' + e));")
    assert copied == snippet
    submission_id = Evaluation.objects.get(submission__name="Grace's keyword model").submission_id
    assert f"/badges/tiny/{submission_id}.svg" in copied
    assert f"/benchmarks/tiny/v1/entries/{submission_id}/" in copied
