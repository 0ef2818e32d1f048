#!/usr/bin/env bash
# All set-up for the course, idempotent and quick on a second run.
#   scripts/setup.sh lab   -> what the course needs: venv, engine, base images
#   scripts/setup.sh test  -> the same, plus what the tests need: PostgreSQL, Chromium, and the
#                             modern Docker engines beside the default one (python -m checker engines up)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-lab}"
started=$(date +%s)
say() { printf '[setup %3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

# 1. Host packages (root on Debian/Ubuntu only; elsewhere we say what is missing and go on).
need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    # libpq-dev + gcc: psycopg2 compiles from source in the venv (the course's point).
    for pkg in libpq-dev gcc python3-venv; do have_pkg "$pkg" || need_apt+=("$pkg"); done
    if [ "$purpose" = test ]; then
        for pkg in postgresql chromium fonts-dejavu-core; do have_pkg "$pkg" || need_apt+=("$pkg"); done
    fi
    if [ ${#need_apt[@]} -gt 0 ]; then
        say "installing Debian packages: ${need_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    fi
elif ! command -v pg_config >/dev/null 2>&1; then
    say "note: pg_config not found; psycopg2 needs PostgreSQL's client headers (libpq-dev / 'brew install libpq')"
fi

# 2. The virtual environment at .venv, reinstalled only when the dependency files change.
#    PYTHON picks the interpreter (default python3); the pins hold from 3.11.2 (Debian 12's) up.
python="${PYTHON:-python3}"
if ! found=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 11, 2))' 2>/dev/null); then
    say "${python} is Python ${found:-(not found)}, too old for the course: install Python 3.11.2 or newer (Debian 12 or Ubuntu 24.04's python3 and python3-venv, 'brew install python@3.12', or 'uv python install 3.12') and run again with PYTHON=/path/to/that/python3 if it is not the first python3 on PATH."
    exit 1
fi
stamp_want=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -c1-16)
stamp_file=.venv/.lpi-installed
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$python" -m venv .venv
fi
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp_want" ]; then
    say "installing Python dependencies into .venv (pinned by requirements/constraints.txt)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c requirements/constraints.txt -e ".[course,app,test]"
    echo "$stamp_want" > "$stamp_file"
else
    say ".venv is up to date"
fi

# 3. A Docker engine that answers.
scripts/ensure-engine.sh

# 4. The course's base images (present, pulled, or provisioned stand-ins).
say "base images"
.venv/bin/python -m checker images

# 5. Tests only: the modern engines beside the default one (docs/engines.md). A failure here does
#    not stop the set-up: the tests that need them fail, saying why.
if [ "$purpose" = test ]; then
    if [ "$(id -u)" = 0 ] && [ "$(uname -s)" = Linux ]; then
        say "modern engines (Debian's docker.io, containerd store and overlay2, beside the default engine)"
        .venv/bin/python -m checker engines up || say "warning: the modern engines are not available (above); the tests that need them will fail"
    else
        say "note: the modern engines need root on Linux; the tests that need them will fail saying so"
    fi
fi
say "set-up done in $(( $(date +%s) - started )) s"
