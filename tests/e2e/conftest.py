"""A real browser (Debian's chromium, driven through chromedriver by Selenium) against a live
server. Without chromium the tests skip with the reason; where SAFETYGYM_REQUIRE_BROWSER=1
(CI sets it) they fail instead."""

import os
import shutil

import pytest

from tests.leaderboard.conftest import tiny_version  # noqa: F401 (a fixture the tests use)

CHROMIUM = os.environ.get("SAFETYGYM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SAFETYGYM_CHROMEDRIVER", "/usr/bin/chromedriver")


def browser_missing():
    """Why no browser can run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} is missing (apt-get install {package})"
    return None


@pytest.fixture
def browser():
    reason = browser_missing()
    if reason:
        if os.environ.get("SAFETYGYM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required here but cannot run: {reason}")
        pytest.skip(f"no browser: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Root in a container: chromium's own sandbox needs namespaces it may not get.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,1000", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
