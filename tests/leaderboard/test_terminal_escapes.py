"""Names refuse control characters and text-direction overrides; descriptions, failure
messages, logs, the terminal board and the CSV keep them only as visible escapes, so nothing a
submitter or an agent wrote can clear or recolour the operator's terminal."""

import pytest

from leaderboard.board_query import safe_cell
from leaderboard.models import Submission
from leaderboard.plain_text import defused, unsafe_characters
from leaderboard.tasks import printable
from tests.leaderboard.uploads import agent_zip

pytestmark = pytest.mark.django_db

HOSTILE = "\x1b[2J\x1b[1;31mX\x1b[0m\u202eRTL"


def test_a_name_with_escapes_is_refused_by_the_form(user_client):
    response = user_client.post("/submit/", {"name": HOSTILE, "benchmarks": ["tiny"],
                                             "archive": agent_zip()})
    page = response.content.decode()
    assert response.status_code == 400
    assert "the name holds U+001B, U+202E: control characters and text-direction" in page
    assert not Submission.objects.exists()


@pytest.mark.parametrize("character", ["\x07", "\x9b", "\u2066", "\n"])
def test_any_control_or_bidi_character_in_a_name_is_named(character):
    assert unsafe_characters(f"a{character}b") == [f"U+{ord(character):04X}"]


def test_a_description_keeps_its_lines_and_shows_escapes(user_client):
    response = user_client.post("/submit/", {
        "name": "Keyword model", "benchmarks": ["tiny"], "archive": agent_zip(),
        "description": "line one\r\nline two " + HOSTILE})
    assert response.status_code == 302, response.content
    assert Submission.objects.get().description == (
        "line one\nline two \\x1b[2J\\x1b[1;31mX\\x1b[0m\\u202eRTL")


def test_failure_messages_and_logs_hold_no_raw_escapes():
    message = printable(f"ValueError: {HOSTILE}\x00", 2000, keep="start")
    assert message == "ValueError: \\x1b[2J\\x1b[1;31mX\\x1b[0m\\u202eRTL\\0"
    assert printable("step 1\n\tstep 2\r\x9b", 2000) == "step 1\n\tstep 2\\x0d\\x9b"


def test_a_stored_name_is_shown_escaped_in_the_csv_and_on_the_terminal():
    assert safe_cell(HOSTILE) == "\\x1b[2J\\x1b[1;31mX\\x1b[0m\\u202eRTL"
    assert "\x1b" not in defused(HOSTILE, keep="") and "\u202e" not in defused(HOSTILE)


def test_a_name_with_escapes_is_refused_by_the_api(tiny_version):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.post("/api/v1/submissions/", {"archive": agent_zip(), "name": HOSTILE,
                                                    "benchmarks": ["tiny"]}, format="multipart")
    assert response.status_code == 400
    assert "U+001B" in str(response.json()["name"])
