"""LPI013: a .dockerignore keeps .git, virtual environments and caches out of the context."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerignore import DockerIgnoreError
from checker.rules.base import Context, Flag, rule
from checker.rules.context import parsed_dockerignore
from checker.rules.facts import whole_context_copy


#: (what to keep out, paths that must be excluded, the pattern to suggest)
_REQUIRED = (
    ("the .git directory", (".git/HEAD",), ".git"),
    ("the .venv virtual environment", (".venv/pyvenv.cfg",), ".venv"),
    ("a venv virtual environment", ("venv/pyvenv.cfg",), "venv"),
    # Bytecode is judged by the files that would reach the context: CPython 3 writes .pyc only
    # under __pycache__/ (PEP 3147; elsewhere only with PYTHONPYCACHEPREFIX or a legacy
    # ``compileall -b``), so **/__pycache__ and **/*.pyc each keep it out.
    ("__pycache__ directories", ("__pycache__/app.cpython-313.pyc",), "**/__pycache__"),
    ("__pycache__ directories inside packages", ("app/__pycache__/main.cpython-313.pyc",), "**/__pycache__"),
    ("the .pytest_cache directory", (".pytest_cache/v/cache/nodeids",), ".pytest_cache"),
)


@rule("LPI013", severity="warning", lesson="05_layer_cache.ipynb#the-dockerignore-file", family="context")
def dockerignore_keeps_junk_out(ctx: Context) -> Iterator[Flag]:
    """Keep .git, virtualenvs and caches out of the build context.

    Why it matters:
        docker build sends the whole directory to the engine. Without a .dockerignore, copying
        the project puts your .git history, a local virtualenv built for another OS and stale
        bytecode into the image, and any change to them busts the layer cache.
    How to fix:
        Add a .dockerignore next to the Dockerfile listing at least .git, .venv, venv,
        **/__pycache__ (Python writes its bytecode there) and .pytest_cache. Note that a plain
        __pycache__ matches only at the top of the context.
    """
    if ctx.dockerignore is None:
        if ctx.context_known:
            copy = next((i for i in ctx.dockerfile.instructions if whole_context_copy(i)), None)
            if copy is not None:
                yield Flag(0, f"The build context has no .dockerignore, so .git, virtualenvs and caches are sent to the engine, "
                              f"and {copy.keyword} {copy.args} on line {copy.line} puts them in the image.")
            else:
                yield Flag(0, "The build context has no .dockerignore, so .git, virtualenvs and caches are sent to the engine "
                              "with every build (slower builds, and one COPY . away from the image).")
        return
    ignore = parsed_dockerignore(ctx)
    if isinstance(ignore, DockerIgnoreError):
        return  # LPI018 reports it: the build fails
    reported: set[str] = set()
    absent: list[tuple[str, str]] = []
    required = list(_REQUIRED) + [(f"the {venv} virtual environment", (f"{venv}/pyvenv.cfg",), venv) for venv in ctx.context_venvs]
    for what, paths, suggestion in required:
        missing = [path for path in paths if not ignore.excludes(path)]
        if not missing or suggestion in reported:
            continue
        reported.add(suggestion)
        deciding = ignore.deciding_pattern(missing[0])
        if deciding is not None and deciding.negated:
            message = f".dockerignore lets {what} back in with '{deciding.raw}' (line {deciding.line})."
        elif suggestion == "**/__pycache__" and ignore.excludes(_REQUIRED[3][1][0]):
            message = ".dockerignore keeps out __pycache__ only at the top of the context; the ones inside your packages still get copied."
        else:
            absent.append((what, suggestion))
            continue
        yield Flag(0, message, hint=f"Add the line {suggestion} to .dockerignore.")
    if absent:
        # One finding for the plain omissions: one list to read, one set of lines to add.
        whats = [what for what, _ in absent]
        listed = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " or " + whats[-1]
        lines = ", ".join(suggestion for _, suggestion in absent)
        yield Flag(0, f".dockerignore does not keep out {listed}.",
                   hint=f"Add {'the line' if len(absent) == 1 else 'these lines'} to .dockerignore: {lines}.")
