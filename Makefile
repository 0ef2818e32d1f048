# Two commands do everything on a fresh machine:
#   make lab    set up, then open the course in JupyterLab
#   make test   set up, then run every test (pytest, notebooks with nbval, browser tests)
.PHONY: setup setup-test lab test test-fast bench clean lock rules

PY := .venv/bin/python
LAB_PORT ?= 8888
LAB_ARGS ?=

setup:
	@scripts/setup.sh lab

setup-test:
	@scripts/setup.sh test

lab: setup
	$(PY) -m jupyter lab --notebook-dir=notebooks --port=$(LAB_PORT) --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

# The engine-dependent suites run a second time on the modern engine with the containerd image
# store (what a new Docker Desktop or Engine 29 gives a learner). The subset with the most signal
# for what depends on the store (sizes, hidden bytes, verdicts): the grading pipeline's engine
# tests, the engine package's, every exercise's solution/starter/wrong answers, the robustness
# corpus. Left out: tests/checker/classroom (orchestration: SIGINT, resume, jobs; the same on any
# engine, and its two tests grade whole classes cold: 5 to 10 minutes measured there) and
# test_engines_sizes.py (it grades on all three engines whatever DOCKER_HOST says).
MODERN_ENGINE ?= modern-containerd
MODERN_SUITES ?= tests/checker/grading tests/checker/engine tests/exercises tests/robustness
MODERN_ARGS ?= --ignore=tests/checker/grading/test_engines_sizes.py

test: setup-test
	$(PY) -m pytest tests notebooks --nbval-lax -p no:cacheprovider $(PYTEST_ARGS)
	LPI_TEST_ENGINE=$(MODERN_ENGINE) $(PY) -m pytest $(MODERN_SUITES) -m "docker and not browser and not postgres" $(MODERN_ARGS) -p no:cacheprovider $(PYTEST_ARGS)
	LPI_TEST_ENGINE=$(MODERN_ENGINE) $(PY) -m pytest notebooks --nbval-lax -p no:cacheprovider $(PYTEST_ARGS)

# The fast subset for local work: no engine, no database, no browser.
test-fast:
	$(PY) -m pytest tests -m "not docker and not postgres and not browser" $(PYTEST_ARGS)

bench: setup-test
	$(PY) -m bench

# Remove everything the checker and the tests created on the engine (base images stay).
clean:
	$(PY) -m checker clean

lock:
	$(PY) -m pip freeze --exclude-editable > /tmp/lpi-freeze.txt
	{ head -2 requirements/constraints.txt; grep -v '^-e' /tmp/lpi-freeze.txt; } > requirements/constraints.new && mv requirements/constraints.new requirements/constraints.txt
