# fails: LPI012
# pip --user in the builder, ~/.local copied over, but the app still runs as root.
FROM python:3.11-slim as builder
COPY requirements.txt .
RUN pip install --user --no-cache-dir -r requirements.txt

FROM python:3.11-slim
COPY --from=builder /root/.local /root/.local
ENV PATH=/root/.local/bin:$PATH
WORKDIR /code
COPY ./app ./app
CMD ["python", "-m", "app"]
