"""`auto` picks the strongest backend the machine can run: docker, then bwrap, then local."""

import pytest

from sandbox import selection


@pytest.fixture
def machine(monkeypatch):
    """Declare which backends this pretend machine can run: machine(docker=..., bwrap=...)."""

    def declare(**can_run):
        for name in selection.AUTO_ORDER:
            verdict = (True, "") if can_run.get(name) else (False, f"no {name} here")
            monkeypatch.setitem(selection.AVAILABILITY, name, lambda verdict=verdict, **_: verdict)

    return declare


def test_auto_takes_docker_where_an_engine_and_the_image_are_there(machine):
    machine(docker=True, bwrap=True)
    assert selection.resolve_backend("auto") == ("docker", "docker (auto)")


def test_auto_falls_back_to_bwrap_without_docker(machine):
    machine(bwrap=True)
    assert selection.resolve_backend("auto") == ("bwrap", "bwrap (auto)")


def test_auto_falls_back_to_local_and_says_why_the_others_were_passed_over(machine):
    machine()
    backend, why = selection.resolve_backend("auto")
    assert backend == "local"
    assert "docker: no docker here" in why and "bwrap: no bwrap here" in why


def test_a_configured_backend_is_taken_as_it_is_even_if_it_cannot_run(machine):
    machine()
    assert selection.resolve_backend("docker") == ("docker", "docker (configured)")


def test_each_backend_is_asked_with_its_own_options(monkeypatch):
    asked = {}

    def recorder(name):
        def check(**options):
            asked[name] = options
            return False, "no"

        return check

    for name in selection.AUTO_ORDER:
        monkeypatch.setitem(selection.AVAILABILITY, name, recorder(name))
    selection.resolve_backend("auto", {"docker": {"image": "x:1"}, "bwrap": {"venv": "/v"}})
    assert asked == {"docker": {"image": "x:1"}, "bwrap": {"venv": "/v"}}
