# fails: none
# A tidy poetry project: in-project venv copied whole, numeric user.
FROM python:3.12-slim-bookworm AS build
ENV POETRY_VIRTUALENVS_IN_PROJECT=1 \
    POETRY_NO_INTERACTION=1 \
    PIP_NO_CACHE_DIR=1
RUN pip install poetry==1.8.5
WORKDIR /opt/service
COPY pyproject.toml poetry.lock ./
RUN poetry install --only main --no-root --no-cache
COPY service/ ./service/

FROM python:3.12-slim-bookworm
WORKDIR /opt/service
COPY --from=build /opt/service /opt/service
ENV PATH="/opt/service/.venv/bin:${PATH}"
USER 10001
EXPOSE 8080
CMD ["gunicorn", "service.wsgi:application", "--bind", "0.0.0.0:8080"]
