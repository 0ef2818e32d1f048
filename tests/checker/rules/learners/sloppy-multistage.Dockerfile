# fails: LPI004 LPI005 LPI006 LPI011 LPI012
FROM python:3.13-slim AS builder
WORKDIR /build
COPY . .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:3.13-slim
COPY --from=builder /usr/local /usr/local
RUN pip install gunicorn==23.0.0
COPY . /app
WORKDIR /app
CMD gunicorn app:app
