# fails: none
FROM python:3.13-slim AS lock
ENV PIPENV_VENV_IN_PROJECT=1 PIP_NO_CACHE_DIR=true
RUN pip install pipenv==2024.4.0
WORKDIR /app
COPY Pipfile Pipfile.lock ./
RUN pipenv install --deploy

FROM python:3.13-slim
RUN groupadd -g 1001 app && useradd -u 1001 -g app app
COPY --from=lock /app/.venv /app/.venv
COPY --chown=app:app web/ /app/web/
USER 1001
CMD ["/app/.venv/bin/python", "-m", "web"]
