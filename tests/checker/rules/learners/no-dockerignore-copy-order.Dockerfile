# fails: LPI005 LPI013
# dockerignore: none
FROM python:3.13-slim AS b
RUN python -m venv /opt/v
ADD . /code
RUN /opt/v/bin/pip install --no-cache-dir /code

FROM python:3.13-slim
COPY --from=b /opt/v /opt/v
USER 1000
CMD ["/opt/v/bin/mytool"]
