"""How a history entry's ``created_by`` reads, from either builder's record (pure)."""

import pytest

from checker.engine import clean_created_by


@pytest.mark.parametrize(("recorded", "shown"), [
    ("/bin/sh -c #(nop)  COPY dir:abc in /opt/venv ", "COPY dir:abc in /opt/venv"),
    ("/bin/sh -c apt-get update", "RUN apt-get update"),
    ("|2 A=1 B=2 /bin/sh -c pip install x", "RUN pip install x"),
    ("RUN /bin/sh -c head -c 1 > /x # buildkit", "RUN head -c 1 > /x"),
    ("RUN |1 A=b /bin/sh -c pip install . # buildkit", "RUN pip install ."),
    ("COPY --from=builder /opt/venv /opt/venv # buildkit", "COPY --from=builder /opt/venv /opt/venv"),
    ("WORKDIR /app", "WORKDIR /app"),
    ("bash -c echo hi", "RUN bash -c echo hi"),
    ("", ""),
])
def test_each_builders_history_record_reads_as_the_instruction_written(recorded, shown):
    assert clean_created_by(recorded) == shown
