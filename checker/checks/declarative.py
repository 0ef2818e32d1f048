"""Declarative checks a teacher writes in a rubric, without Python (container-structure-test's kinds).

Each kind may be listed several times, as ``kind:name`` (``file_exists:venv``); its parameters are
validated when the rubric loads, so a typo is a rubric error (exit 2), never a silent pass::

    [[checks]]
    id = "file_exists:venv"        # kind:name
    title = "The virtual environment is in /opt/venv"
    points = 1
    path = "/opt/venv/bin/python"  # a glob (*, ?, [..]) matches any path

    [[checks]]
    id = "file_absent:pip-cache"
    points = 1
    path = "/root/.cache/pip"

    [[checks]]
    id = "file_contains:passwd"
    points = 1
    path = "/etc/passwd"
    expected = ["^app:x:10001:"]   # regexes (multi-line mode) that must match
    excluded = ["^eve:"]           # regexes that must not

    [[checks]]
    id = "metadata"
    points = 1
    user = "10001"
    workdir = "/app"
    exposed_ports = ["8000/tcp"]
    env = { PYTHONUNBUFFERED = "1" }
    labels = { "org.opencontainers.image.source" = "https://example.org/app" }
    cmd = ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
    entrypoint = []                # [] means: none

    [[checks]]
    id = "command:imports"
    points = 1
    run = ["python", "-c", "import fastapi; print(fastapi.__version__)"]
    deadline_s = 10                # seconds; the command runs as the image's user, no network
    exit_code = 0
    stdout = "^0\\\\."             # a regex the output must match (search); stderr likewise

A path given to ``file_*`` is absolute; links are not followed (the path as the image lists it).
"""

from __future__ import annotations

import fnmatch
import shlex
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, not_run, unmeasured

_GLOB = re.compile(r"[*?\[]")
_METADATA_KEYS = ("env", "user", "labels", "exposed_ports", "entrypoint", "cmd", "workdir")


# ----------------------------------------------------------------------------------------------
# validation (at rubric load)


def _path(params: Mapping[str, Any]) -> None:
    path = params.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"needs path = an absolute path in the image, e.g. \"/app/main.py\" (got {path!r})")


def _regexes(params: Mapping[str, Any], key: str) -> None:
    value = params.get(key)
    items = [value] if isinstance(value, str) else value
    if value is None:
        return
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"{key} must be a regex or a list of regexes, got {value!r}")
    for item in items:
        try:
            re.compile(item)
        except re.error as exc:
            raise ValueError(f"{key}: {item!r} is not a valid regex ({exc})") from None


def _validate_contains(params: Mapping[str, Any]) -> None:
    _path(params)
    if _GLOB.search(params["path"]):
        raise ValueError("file_contains reads one file: its path cannot be a glob")
    if not params.get("expected") and not params.get("excluded"):
        raise ValueError("needs expected = [regexes] and/or excluded = [regexes]")
    _regexes(params, "expected")
    _regexes(params, "excluded")


def _validate_metadata(params: Mapping[str, Any]) -> None:
    given = {key: value for key, value in params.items() if value is not None}
    if not given:
        raise ValueError(f"needs at least one of {', '.join(_METADATA_KEYS)}")
    for key in ("env", "labels"):
        value = given.get(key)
        if value is not None and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            raise ValueError(f"{key} must be a table of strings, e.g. {key} = {{ NAME = \"value\" }}")
    for key in ("exposed_ports", "entrypoint", "cmd"):
        value = given.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"{key} must be a list of strings")
    for key in ("user", "workdir"):
        if key in given and not isinstance(given[key], str):
            raise ValueError(f"{key} must be a string")


def _validate_command(params: Mapping[str, Any]) -> None:
    run = params.get("run")
    if not (isinstance(run, list) and run and all(isinstance(word, str) for word in run)):
        raise ValueError('needs run = ["program", "arg", ...] (a list of strings; use ["sh", "-c", "..."] for a shell)')
    deadline = params.get("deadline_s")
    if not isinstance(deadline, (int, float)) or isinstance(deadline, bool) or not 0 < deadline <= 300:
        raise ValueError(f"deadline_s must be a number of seconds between 0 and 300, got {deadline!r}")
    if not isinstance(params.get("exit_code"), int) or isinstance(params.get("exit_code"), bool):
        raise ValueError(f"exit_code must be an integer, got {params.get('exit_code')!r}")
    _regexes(params, "stdout")
    _regexes(params, "stderr")


# ----------------------------------------------------------------------------------------------
# the kinds


def _matches(evidence: Evidence, pattern: str) -> list[str]:
    assert evidence.filesystem is not None
    seen = evidence.filesystem.shipped.exists
    pattern = posixpath.normpath(pattern)
    if not _GLOB.search(pattern):
        return [pattern] if pattern in seen else []
    return sorted(path for path in seen if fnmatch.fnmatchcase(path, pattern))


@dynamic_check("file_exists", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("filesystem",),
               validate=_path, repeatable=True, path=None)
def file_exists(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """A path the rubric names exists in the image.

    Why it matters:
        The exercise expects this file or folder in the final image (a virtual environment, the
        app's source, a config file); without it the image is not what was asked for.
    How to fix:
        Copy or build it into the final stage at that path (COPY --from=builder /opt/venv /opt/venv).
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    found = _matches(evidence, params["path"])
    if found:
        return Outcome(True, f"{params['path']} is in the image" + (f" ({len(found)} match)" if len(found) > 1 else "") + ".",
                       {"matches": found[:20]})
    return Outcome(False, f"{params['path']} is not in the image.")


@dynamic_check("file_absent", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("filesystem",),
               validate=_path, repeatable=True, path=None)
def file_absent(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """A path the rubric names is not in the image.

    Why it matters:
        The exercise expects this file or folder to stay out of the final image (a build tool,
        a cache, a source that only the build needs).
    How to fix:
        Keep it in a build stage, list it in .dockerignore, or remove it in the RUN that made it.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    found = _matches(evidence, params["path"])
    if found:
        shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
        return Outcome(False, f"The image has {shown}; the exercise asks for no {params['path']}.", {"matches": found[:20]})
    return Outcome(True, f"No {params['path']} in the image.")


def _as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


@dynamic_check("file_contains", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("filesystem",),
               validate=_validate_contains, repeatable=True, path=None, expected=None, excluded=None)
def file_contains(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """A file the rubric names holds (or lacks) what the rubric's patterns say.

    Why it matters:
        Some requirements live inside a file: a user in /etc/passwd, a setting in a config
        file, a version in a lock file.
    How to fix:
        Read the check's message: it names the pattern that did not match; change the file
        (or the step that writes it) in the final stage.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    path = posixpath.normpath(params["path"])
    content = evidence.filesystem.shipped.kept.get(path)
    if content is None:
        return Outcome(False, f"{path} is not a file in the image.")
    text = content.decode("utf-8", "replace")
    missing = [p for p in _as_list(params.get("expected")) if not re.search(p, text, re.MULTILINE)]
    present = [p for p in _as_list(params.get("excluded")) if re.search(p, text, re.MULTILINE)]
    if missing or present:
        parts = ([f"no match for {', '.join(repr(p) for p in missing)}"] if missing else []) + \
                ([f"a match for {', '.join(repr(p) for p in present)}, which must not be there"] if present else [])
        return Outcome(False, f"{path}: {'; '.join(parts)}.", {"missing": missing, "present": present})
    return Outcome(True, f"{path} matches every expected pattern and none of the excluded ones.")


def _config(evidence: Evidence) -> dict[str, Any]:
    image = evidence.image
    assert image is not None
    return {"env": image.env_dict(), "user": image.user, "labels": dict(image.labels),
            "exposed_ports": list(image.exposed_ports), "entrypoint": list(image.entrypoint or ()),
            "cmd": list(image.cmd or ()), "workdir": image.workdir}


@dynamic_check("metadata", lesson="06_safer_images.ipynb#exec-form-cmd", needs=("build",),
               validate=_validate_metadata, repeatable=True, **{key: None for key in _METADATA_KEYS})
def metadata(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The image's config has the values the rubric names.

    Why it matters:
        How a platform starts the image comes from its config: user, working directory,
        environment, exposed ports, labels, ENTRYPOINT and CMD.
    How to fix:
        Set them in the final stage (USER, WORKDIR, ENV, EXPOSE, LABEL, ENTRYPOINT, CMD); the
        check's message names each value that differs and what the image has instead.
    """
    if evidence.image is None:
        return not_run("there is no image")
    actual = _config(evidence)
    wrong: list[str] = []
    for key in _METADATA_KEYS:
        want = params.get(key)
        if want is None:
            continue
        have = actual[key]
        if key in {"env", "labels"}:
            for name, value in want.items():
                if have.get(name) != value:
                    wrong.append(f"{key} {name}={value!r} (the image has {have.get(name)!r})")
        elif key == "exposed_ports":
            expected = sorted(p if "/" in p else f"{p}/tcp" for p in want)
            if expected != sorted(have):
                wrong.append(f"exposed_ports {expected} (the image has {sorted(have)})")
        elif have != want:
            wrong.append(f"{key} {want!r} (the image has {have!r})")
    if wrong:
        return Outcome(False, "The image's config differs: " + "; ".join(wrong) + ".", {"differs": wrong})
    return Outcome(True, "The image's config has every value the rubric names.")


#: How the engine says the program of a command is not in the image.
_NOT_FOUND_RE = re.compile(r'exec: "[^"]*": (?:executable file not found|stat [^:]*: no such file or directory)')


@dynamic_check("command", lesson="06_safer_images.ipynb#exec-form-cmd", needs=("build", "commands"),
               validate=_validate_command, repeatable=True, run=None, deadline_s=10, exit_code=0, stdout=None,
               stderr=None)
def command(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """A command the rubric names runs in the image as its user.

    Why it matters:
        Some requirements are easiest to prove by running something in the image as it will
        run: the app imports, a tool is (or is not) on PATH, a file is readable by the user.
    How to fix:
        Run the command yourself (docker run --rm --entrypoint "" IMAGE ...) and read its output:
        the check's message shows the exit code and the end of the output.
    """
    if evidence.image is None:
        return not_run("there is no image")
    argv = tuple(params["run"])
    result = evidence.commands.get(argv)
    shown = shlex.join(argv)
    if result is None:
        return not_run(f"{shown} was not run", machine=True)  # the grader's own omission
    details = {"exit_code": result.exit_code, "seconds": round(result.seconds, 3), "stdout": result.stdout[-2000:],
               "stderr": result.stderr[-2000:]}
    if result.timed_out:
        return Outcome(False, f"{shown} did not finish within {params['deadline_s']} s.", details)
    if result.exit_code is None and _NOT_FOUND_RE.search(result.stderr) and params["exit_code"] == 0:
        # The image lacks the program itself (a FROM scratch or distroless image has no shell or
        # coreutils): that says nothing about what the command was meant to prove.
        why = (f"the image has no {argv[0]} to run {shown} with (an image without a shell "
               f"or coreutils runs only its own programs, such as its python)")
        return Outcome(False, f"Not judged: {why}.", details, not_judged=why)
    problems = []
    if result.exit_code != params["exit_code"]:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        problems.append(f"exited {result.exit_code}, expected {params['exit_code']}" + (f" ({tail[0][:200]})" if tail[0] else ""))
    for stream in ("stdout", "stderr"):
        for pattern in _as_list(params.get(stream)):
            if not re.search(pattern, getattr(result, stream), re.MULTILINE):
                problems.append(f"its {stream} has no match for {pattern!r}")
    if problems:
        return Outcome(False, f"{shown}: " + "; ".join(problems) + ".", details)
    return Outcome(True, f"{shown} exited {result.exit_code} in {result.seconds:.1f} s as expected.", details)
