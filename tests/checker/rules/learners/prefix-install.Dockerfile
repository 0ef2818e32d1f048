# fails: LPI020
# (LPI020: --no-install-recommends gcc without libc6-dev cannot compile the sample app's psycopg2; lesson 6's trap build fails the same way.)
FROM python:3.13-slim AS compile
RUN apt-get update \
    && apt-get install --no-install-recommends -y gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --prefix=/install -r /tmp/requirements.txt

FROM python:3.13-slim AS run
RUN apt-get update \
    && apt-get install --no-install-recommends -y libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 999 api
COPY --from=compile /install /usr/local
WORKDIR /api
COPY . .
USER api
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
