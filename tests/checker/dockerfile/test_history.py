"""Which Dockerfile line made each layer (pure: history text and the parsed file), as the report and the
lessons name layers; and the grader's report carrying those names."""

from __future__ import annotations

from checker.dockerfile import parse
from checker.dockerfile.history import keyword, layer_instructions, layer_lines, without_digests

MULTI_STAGE = ("ARG PYTHON_VERSION=3.13\nFROM python:3.13-slim AS builder\nRUN python -m venv /opt/venv\n"
               "FROM python:3.13-slim\nRUN apt-get update \\\n    && apt-get install -y libpq5\n"
               "ENV PATH=/opt/venv/bin:$PATH\nCOPY --from=builder /opt/venv /opt/venv\nWORKDIR /app\nCOPY . .\n"
               "CMD [\"uvicorn\"]\n")


def test_each_history_entry_is_paired_with_the_final_stages_line_by_keyword_in_order():
    history = ["RUN apt-get update && apt-get install -y libpq5", "COPY dir:28e644f18dfd in /opt/venv",
               "COPY dir:087445b446e6 in .", "LABEL org.lean-python-images.run=r"]
    assert layer_lines(history, parse(MULTI_STAGE)) == [
        "RUN apt-get update && apt-get install -y libpq5", "COPY --from=builder /opt/venv /opt/venv", "COPY . .", None]


def test_a_final_stage_built_from_an_earlier_stage_names_that_stages_layers_too():
    dockerfile = "FROM python:3.13-slim AS base\nRUN useradd app\nFROM base\nCOPY . /app\nUSER app\n"
    assert layer_lines(["RUN useradd app", "COPY dir:0123456789abcdef in /app"], dockerfile) == [
        "RUN useradd app", "COPY . /app"]


def test_an_earlier_stages_image_pairs_its_layers_with_that_stages_lines():
    """BuildKit keeps no image per step: a builder stage's layers are read from an image of that stage."""
    model = parse(MULTI_STAGE)
    builder = model.stages[0]
    found = layer_instructions(["RUN /bin/sh -c python -m venv /opt/venv # buildkit"], model, builder)
    assert [instruction.line for instruction in found if instruction] == [3]
    final = layer_instructions(["RUN /bin/sh -c apt-get update && apt-get install -y libpq5 # buildkit",
                                "COPY /opt/venv /opt/venv # buildkit", "WORKDIR /app", "COPY . . # buildkit"], model)
    assert [instruction.line if instruction else None for instruction in final] == [5, 8, 9, 10], \
        "BuildKit's history drops COPY's --from; the keyword and the order still pair it"


def test_an_instruction_that_made_no_layer_is_passed_over():
    model = parse("FROM python:3.13-slim\nRUN true\nCOPY a /a\nRUN touch /x\n")
    found = layer_instructions(["COPY a /a", "RUN /bin/sh -c touch /x # buildkit"], model)
    assert [instruction.line for instruction in found if instruction] == [3, 4]


def test_text_the_parser_rejects_names_nothing():
    assert layer_lines(["RUN true"], "RUN true\n") == [None]


def test_raw_records_of_either_builder_give_the_instructions_keyword():
    assert keyword("/bin/sh -c #(nop)  COPY dir:abc in /opt/venv ") == "COPY"
    assert keyword("|1 PYTHON_VERSION=3.13 /bin/sh -c pip install x") == "RUN"
    assert keyword("WORKDIR /app") == "WORKDIR" and keyword("bash -c echo hi") == "RUN"


def test_content_digests_are_left_out_of_a_history_entry():
    assert without_digests("COPY dir:28e644f18dfd0123 in /opt/venv") == "COPY dir:… in /opt/venv"
    assert without_digests("ADD file:abcdef0123456789abcdef in /") == "ADD file:… in /"
    assert without_digests("RUN echo file:not-a-digest") == "RUN echo file:not-a-digest"


def test_the_graders_image_summary_names_its_own_layers_and_its_base_image():
    from checker import checks, engine
    from checker.grading.summary import image_summary

    layers = [(80_000_000, "ADD file:abc in /"), (0, 'CMD ["bash"]'),
              (4_000_000, "RUN apt-get update && apt-get install -y libpq5"),
              (60_000_000, "COPY dir:28e644f18dfd in /opt/venv"), (12_000, "COPY dir:087445b446e6 in .")]
    info = engine.ImageInfo(id="sha256:x", tags=("t",), size_bytes=sum(size for size, _ in layers), labels={},
                            layers=tuple(engine.Layer(size, made) for size, made in layers), env=(), user="",
                            cmd=None, entrypoint=None, exposed_ports=(), created="")
    evidence = checks.Evidence(image=info, base_layers=2, base_ref="python:3.13-slim")
    summary = image_summary(evidence, parse(MULTI_STAGE))
    assert summary.base_image == "python:3.13-slim"
    assert [layer.instruction for layer in summary.layers] == [
        None, None, "RUN apt-get update && apt-get install -y libpq5", "COPY --from=builder /opt/venv /opt/venv",
        "COPY . ."]
    evidence.base_layers = 0  # the base image's layers not recognised: its history is not paired with our lines
    unknown = image_summary(evidence, parse(MULTI_STAGE))
    assert unknown.base_image is None and all(layer.instruction is None for layer in unknown.layers)
    scratch = image_summary(checks.Evidence(image=info), parse("FROM scratch\nADD rootfs.tar /\nCMD [\"sh\"]\n"))
    assert scratch.layers[0].instruction == "ADD rootfs.tar /"


def test_a_run_heredoc_layer_is_named_by_its_script_not_by_its_marker_alone():
    model = parse("FROM python:3.13-slim\nRUN <<EOT bash\n  set -e\n\n  pip install   six\nEOT\n"
                  "COPY <<EOF /app/settings.txt\nDEBUG=0\nEOF\n")
    named = layer_lines(["RUN |0 /bin/sh -c bash <<EOT", "COPY heredoc /app/settings.txt"], model)
    assert named[0] == "RUN <<EOT bash (set -e; pip install six)"
    assert named[1] == "COPY <<EOF /app/settings.txt", "a COPY heredoc is a file's content, not a script: left out"
