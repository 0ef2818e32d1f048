#!/usr/bin/env bash
# Make sure a Docker engine answers. Order of preference:
#   1. an engine that already answers (DOCKER_HOST is respected) is used as it is, never touched;
#   2. as root on Debian/Ubuntu with no engine: install the distribution's docker.io and start
#      dockerd in the background (no systemd needed), logging to $LPI_DOCKERD_LOG;
#   3. otherwise: one clear sentence saying what to start, and exit 1.
set -euo pipefail

log_file="${LPI_DOCKERD_LOG:-/var/log/lean-python-images-dockerd.log}"
wait_seconds="${LPI_DOCKERD_WAIT:-60}"

engine_answers() {
    # The CLI on PATH may be newer than the engine; pin the API version it speaks when told to.
    docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

if ! command -v docker >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
    echo "No docker command found: install Docker (Docker Desktop on a laptop, docker.io on Debian) and run this again." >&2
    exit 1
fi

if command -v docker >/dev/null 2>&1 && engine_answers; then
    echo "engine: $(docker info --format '{{.ServerVersion}} ({{.Driver}})' 2>/dev/null) answers${DOCKER_HOST:+ at $DOCKER_HOST}"
    exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
    echo "DOCKER_HOST=$DOCKER_HOST is set but no engine answers there: start that engine (or unset DOCKER_HOST) and run this again." >&2
    exit 1
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "No Docker engine answers: start Docker Desktop (or 'sudo systemctl start docker') and run this again." >&2
    exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
    echo "engine: installing Debian's docker.io (no engine was found)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io >/dev/null
fi

if pgrep -x dockerd >/dev/null 2>&1; then
    echo "engine: a dockerd process exists but does not answer yet; waiting for it"
else
    echo "engine: starting dockerd in the background, log in $log_file"
    mkdir -p "$(dirname "$log_file")"
    # No systemd here: start it by hand. --iptables=false because this sandbox has no iptables
    # rights; builds then reach the network with network_mode=host (see LPI_BUILD_NETWORK).
    nohup setsid dockerd --iptables=false >"$log_file" 2>&1 </dev/null &
fi

for _ in $(seq "$wait_seconds"); do
    if engine_answers; then
        echo "engine: $(docker info --format '{{.ServerVersion}} ({{.Driver}})' 2>/dev/null) answers"
        exit 0
    fi
    sleep 1
done
echo "dockerd did not answer within ${wait_seconds}s; its log is $log_file:" >&2
tail -n 20 "$log_file" >&2 || true
exit 1
