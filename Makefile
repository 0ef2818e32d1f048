# Two commands do everything on a fresh machine:
#   make lab    set up, then open the course in JupyterLab (your own copy, in my-course/)
#   make test   set up, then run the type check and every test (pytest, notebooks with nbval, browser tests)
# `make help` lists every target.
.PHONY: help setup setup-test lab test test-modern test-fast typecheck bench clean lock

PY := .venv/bin/python
LAB_PORT ?= 8888
LAB_ARGS ?=
# The lowest supported Python (Debian 12's python3): the pins are resolved for it.
PYTHON_FLOOR ?= 3.11.2

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

setup: ## create .venv, start the engine, make the base images
	@scripts/setup.sh lab

setup-test: ## setup, plus PostgreSQL, Chromium and the modern engines for the tests
	@scripts/setup.sh test

lab: setup ## open the course in JupyterLab (your copy in my-course/, prepared or refreshed first)
	$(PY) scripts/lab.py --port=$(LAB_PORT) --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

# The modern engine with the containerd image store (what a new Docker Desktop or Engine 29 gives a
# learner, graded with BuildKit) in `make test`, after the default run: the lessons (nbval) run there,
# not on the default engine (the browser tests run lessons 0, 2 and 5 on the default engine); every
# exercise's solution, starter and wrong answer is graded there a second time (the same verdicts on
# both engines); then the engine-dependent suites again (MODERN_SUITES: the dynamic checks, the
# reporters' engine parts, grade-class, the robustness corpus, and the lessons' own builds
# and cache explorer, which build with BuildKit there). The default run also grades on all
# three engines in tests/checker/grading/test_engines_sizes.py (so it is not repeated here) and builds
# with BuildKit in tests/checker/engine/test_buildkit_engine.py. `make test-modern` is only the
# engine-dependent suites on the modern engine, for working on them.
MODERN_ENGINE ?= modern-containerd
MODERN_SUITES ?= tests/checker/grading tests/checker/checks tests/checker/probes tests/checker/classroom tests/robustness tests/checker/lesson/test_lesson_builds_engine.py tests/notebooks/test_cache_explorer_builds.py
MODERN_ARGS ?= --ignore=tests/checker/grading/test_engines_sizes.py

test: setup-test ## every test: mypy, pytest (browser tests included), then lessons, exercises and the engine suites on the modern engine
	$(PY) -m mypy
	$(PY) -m pytest tests -p no:cacheprovider $(PYTEST_ARGS)
	LPI_TEST_ENGINE=$(MODERN_ENGINE) $(PY) -m pytest notebooks --nbval-lax tests/exercises -m "not browser and not postgres" -p no:cacheprovider $(PYTEST_ARGS)
	LPI_TEST_ENGINE=$(MODERN_ENGINE) $(PY) -m pytest $(MODERN_SUITES) -m "docker and not browser and not postgres" $(MODERN_ARGS) -p no:cacheprovider $(PYTEST_ARGS)

test-modern: setup-test ## the engine-dependent suites on the modern engine only (part of make test)
	LPI_TEST_ENGINE=$(MODERN_ENGINE) $(PY) -m pytest $(MODERN_SUITES) -m "docker and not browser and not postgres" $(MODERN_ARGS) -p no:cacheprovider $(PYTEST_ARGS)

# The fast subset for local work: no engine, no database, no browser.
test-fast: ## the fast subset: no engine, database or browser
	$(PY) -m pytest tests -m "not docker and not postgres and not browser" $(PYTEST_ARGS)

typecheck: ## mypy over checker/ (configured in pyproject.toml)
	$(PY) -m mypy

bench: setup-test ## the benchmarks (README's tables), then the checker's speed goals
	$(PY) -m bench; status=$$?; $(PY) -m bench checker || status=1; exit $$status

# Remove everything the checker and the tests created on the engine (base images stay).
clean: ## remove what the checker and the tests built (base images stay)
	$(PY) -m checker clean

# Resolve every extra for the lowest supported Python, keeping today's versions where they still fit.
lock: ## regenerate requirements/constraints.txt (uv pip compile for PYTHON_FLOOR)
	@tmp=$$(mktemp) && cp requirements/constraints.txt $$tmp && \
	$(PY) -m uv pip compile pyproject.toml --extra course --extra app --extra test \
	    --python-version $(PYTHON_FLOOR) --no-header --no-annotate --quiet -o $$tmp && \
	{ grep '^#' requirements/constraints.txt; grep -v '^#' $$tmp; } > requirements/constraints.new && \
	mv requirements/constraints.new requirements/constraints.txt && rm -f $$tmp
