# syntax=docker/dockerfile:1.7
# fails: none
# Straight from a BuildKit tutorial: cache mounts, heredocs, --link. Good habits, wrong engine.
FROM python:3.13-slim AS build
RUN python -m venv /venv
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    /venv/bin/pip install -r requirements.txt

FROM python:3.13-slim
COPY --link --from=build /venv /venv
RUN <<EOT
useradd --create-home app
EOT
COPY --chown=app:app . /home/app/src
USER app
CMD ["/venv/bin/python", "/home/app/src/main.py"]
