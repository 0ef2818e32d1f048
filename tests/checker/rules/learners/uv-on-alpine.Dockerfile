# fails: none
# uv on Alpine: compiled in one stage, only the runtime libpq where it runs.
ARG PY=3.13
FROM python:${PY}-alpine3.21 AS deps
COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /uvx /bin/
RUN apk add --no-cache build-base postgresql-dev
ENV UV_NO_CACHE=1 UV_PROJECT_ENVIRONMENT=/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-install-project --no-dev

FROM python:${PY}-alpine3.21 AS final
RUN apk add --no-cache libpq \
 && addgroup -S web && adduser -S -G web web
COPY --from=deps /venv /venv
COPY --chown=web:web src/ /src/
USER web
ENTRYPOINT ["/venv/bin/python", "-m", "src"]
