"""The demo refuses an address it could not serve at before it evaluates anything."""

import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.models import BenchmarkVersion


@pytest.mark.django_db
def test_a_taken_port_is_refused_with_the_fix_before_any_work():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(CommandError) as refused:
            call_command("demo", addr=f"127.0.0.1:{port}")
    assert str(refused.value).startswith(f"Cannot serve at 127.0.0.1:{port}: ")
    assert str(refused.value).endswith(f"`make demo DEMO_ADDR=127.0.0.1:{port + 1}`.")
    assert not BenchmarkVersion.objects.exists()  # nothing was loaded or evaluated


@pytest.mark.django_db
def test_an_address_without_a_port_is_refused():
    with pytest.raises(CommandError, match=r"--addr takes HOST:PORT, e.g. 127.0.0.1:8001, not 'localhost'"):
        call_command("demo", addr="localhost")
