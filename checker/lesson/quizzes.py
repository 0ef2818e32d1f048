"""The lessons' self-checks, defined here so the learner's notebook shows only the question.

A lesson cell reads ``lesson.self_check("using-cache")`` (or, for a question whose answer is a
measurement, ``lesson.self_check("largest-own-layer", own)``) and displays the widget: the answer,
the explanation and the hints stay out of sight. Text may use Markdown's inline code and emphasis;
:class:`~checker.lesson.quiz.Quiz` renders it. The tests answer every self-check (see
``tests/notebooks/test_self_checks.py``); the lessons never do, so Run All leaves them unanswered.
"""

from __future__ import annotations

from collections.abc import Sequence

from .layers import Part
from .quiz import Quiz
from .registry import Registry

_SELF_CHECKS: Registry[Quiz] = Registry("self-check")
_self_check = _SELF_CHECKS.register


def self_check_names() -> list[str]:
    """Every self-check's name, in the lessons' order."""
    return _SELF_CHECKS.names()


def self_check(name: str, *measured) -> Quiz:
    """The self-check ``name``, built from the ``measured`` facts it needs (none for most).

    Raises ``KeyError`` naming the known self-checks when ``name`` is not one of them, and
    ``TypeError`` when the measurements do not fit the question.
    """
    return _SELF_CHECKS.build(name, *measured)


# --- lesson 0 -----------------------------------------------------------------------------------

@_self_check("using-cache")
def _using_cache() -> Quiz:
    return Quiz(
        "`docker build` printed `#8 CACHED` under `#8 [builder 4/6] RUN pip install -r requirements.txt`. "
        "What does that tell you?",
        [
            "The step's command ran again, faster, thanks to a warm disk cache",
            "The result of an earlier build was reused: the command did not run at all",
            "The classic builder is in use",
        ],
        answer=1,
        why="The builder already had that step's result from an earlier build, on the same parent and with "
            "the same instruction (and, for COPY and ADD, the same file contents), so it reused it. The "
            "classic builder says `---> Using cache` for the same thing. Lesson 5 is all about making that happen.",
        hints={
            "The step's command ran again, faster, thanks to a warm disk cache": "A cached step does not run at all.",
            "The classic builder is in use": "`CACHED` is BuildKit's word; the classic builder prints `---> Using cache`.",
        },
    )


# --- lesson 1 -----------------------------------------------------------------------------------

@_self_check("what-can-leave")
def _what_can_leave() -> Quiz:
    return Quiz(
        "Which of these could leave the image without breaking the running app?",
        ["libpq (the run-time library)", "gcc and the C header files", "the Python interpreter",
         "psycopg2's compiled module"],
        answer="gcc and the C header files",
        why="They were needed to *compile* psycopg2. Once the module is built, the app only needs the "
            "run-time library it links against (libpq) and the interpreter.",
        hints={
            "libpq (the run-time library)": "psycopg2's compiled module loads libpq every time it connects.",
            "the Python interpreter": "The app is Python: it needs the interpreter at run time.",
            "psycopg2's compiled module": "That is the driver the app talks to PostgreSQL with.",
        },
    )


@_self_check("largest-own-layer")
def _largest_own_layer(own: Sequence[Part]) -> Quiz:
    """``own``: the image's parts added by our Dockerfile (not the base); the three largest are offered."""
    largest = sorted(own, key=lambda part: -part.size_bytes)[:3]
    return Quiz(
        "Measured above: which step of *our* Dockerfile added the biggest layer?",
        sorted(part.label for part in largest),
        answer=largest[0].label,
        why="Look at the layer chart: the requirements install holds every package pip downloaded and built.",
    )


# --- lesson 2 -----------------------------------------------------------------------------------

@_self_check("why-libpq5")
def _why_libpq5() -> Quiz:
    return Quiz(
        "Why does the runtime stage install `libpq5` rather than `libpq-dev`?",
        [
            "libpq-dev does not exist on slim images",
            "The compiled psycopg2 needs only the shared library; headers and pg_config are for compiling",
            "libpq5 is newer than libpq-dev",
        ],
        answer=1,
        why="`-dev` packages carry what a compiler needs; at run time the dynamic loader needs only the `.so` file.",
        hints={
            "libpq-dev does not exist on slim images": "The builder stage installs it on a slim image.",
            "libpq5 is newer than libpq-dev": "They come from the same source package and version.",
        },
    )


# --- lesson 3 -----------------------------------------------------------------------------------

@_self_check("usr-local-copy")
def _usr_local_copy(image_store: str) -> Quiz:
    """``image_store``: the engine's measured image store (``containerd``, ``overlay2``...)."""
    if image_store == "containerd":
        stored = ("On this engine's containerd store the layer then leaves out the files identical to the base's, "
                  "so the copy stays small only because both stages share the same base image.")
        hint = "Look at what the copy wrote (`du -sb /usr/local`), not only at what the layer kept."
    else:
        stored = f"On this engine's {image_store} store the new layer holds a second set of the same files."
        hint = "Compare the copied layers above: the `/usr/local` one is the biggest."
    return Quiz(
        "Without a venv, what else does `COPY --from=builder /usr/local /usr/local` copy besides your packages?",
        ["Nothing else", "The compiler from the builder stage",
         "The Python interpreter and its standard library"],
        answer=2,
        why="The official-layout images install CPython under `/usr/local`, so the copy writes the interpreter "
            "and its standard library over the runtime base's own. " + stored,
        hints={
            "Nothing else": hint,
            "The compiler from the builder stage": "gcc was installed by apt under `/usr/bin` and `/usr/lib`, "
                                                   "not `/usr/local`.",
        },
    )


@_self_check("prefix-already-satisfied")
def _prefix_already_satisfied() -> Quiz:
    return Quiz(
        "Your builder image already has `packaging` installed, and `requirements.txt` lists it. "
        "After `pip install --prefix=/install -r requirements.txt` and `COPY --from=builder /install /usr/local`, "
        "is `packaging` in the runtime image?",
        ["Yes, pip always installs into the prefix", "No: pip saw it was already satisfied and skipped it",
         "Only its scripts"],
        answer=1,
        why="`--prefix` changes where new files go, not what pip considers installed.",
    )


# --- lesson 4 -----------------------------------------------------------------------------------

@_self_check("manylinux-on-alpine")
def _manylinux_on_alpine() -> Quiz:
    return Quiz(
        "A package publishes only `manylinux` wheels and a source distribution. What happens on "
        "`pip install` in `python:3.13-alpine`?",
        [
            "pip installs the manylinux wheel; it works on Alpine",
            "pip builds the package from the source distribution, which needs a compiler and headers",
            "pip refuses: Alpine cannot install that package at all",
        ],
        answer=1,
        why="No wheel matches musl, so pip falls back to the source distribution and compiles it.",
        hints={
            "pip installs the manylinux wheel; it works on Alpine":
                "`manylinux` wheels link against glibc; pip will not pick them on musl.",
            "pip refuses: Alpine cannot install that package at all":
                "It would refuse only if there were no source distribution either.",
        },
    )


@_self_check("psycopg2-compiles")
def _psycopg2_compiles() -> Quiz:
    return Quiz(
        "Measured above: on which platforms does psycopg2 (not psycopg2-binary) compile from source?",
        ["Only on Alpine (musl)", "Only on slim (glibc)", "On both"],
        answer="On both",
        why="psycopg2 publishes only a source distribution; psycopg2-binary is the separately packaged wheel.",
    )


# --- lesson 5 -----------------------------------------------------------------------------------

@_self_check("requirements-edit")
def _requirements_edit() -> Quiz:
    return Quiz(
        "With the right order, you add one package to `requirements.txt` and rebuild. What runs again?",
        [
            "Only the runtime stage's COPY . .",
            "COPY requirements.txt, pip install, and every step after them",
            "Every step, including apt-get install",
        ],
        answer=1,
        why="The `COPY` of `requirements.txt` has a new checksum; from there on, every step has a new parent. "
            "`apt-get install` comes earlier and stays cached.",
        hints={
            "Only the runtime stage's COPY . .": "`requirements.txt` changed: the `COPY` that copies it cannot be reused.",
            "Every step, including apt-get install": "Steps before the first change keep their parents and instructions.",
        },
    )


@_self_check("stale-apt-layer")
def _stale_apt_layer() -> Quiz:
    return Quiz(
        "`RUN apt-get update && apt-get install -y libpq5` came from the cache, built last month. What is the risk?",
        [
            "None: the cache checks the package versions",
            "The layer still has last month's packages: the cache compares the instruction text, not the mirror",
            "apt-get fails because its lists are out of date",
        ],
        answer=1,
        why="The instruction text did not change, so the old layer is reused. Rebuild with `--no-cache` (or "
            "`--pull` for a new base) on a schedule to pick up security updates.",
    )


# --- lesson 6 -----------------------------------------------------------------------------------

@_self_check("deleted-secret")
def _deleted_secret() -> Quiz:
    return Quiz(
        "A `.env` file was copied into an image by `COPY . .`. A later `RUN rm .env` deletes it. Is the secret gone?",
        ["Yes, the file is gone from the image",
         "No: it is still in the earlier layer, readable by anyone who pulls the image",
         "Only if the image is squashed with --squash-all by the registry"],
        answer=1,
        why="Layers are only ever added. Keep secrets out of the context with `.dockerignore`.",
    )


@_self_check("healthcheck-on-kubernetes")
def _healthcheck_on_kubernetes() -> Quiz:
    return Quiz(
        "Your image declares a `HEALTHCHECK` and runs on Kubernetes. The app hangs and the check starts failing. "
        "What acts on it?",
        ["Docker restarts the container after three failed checks",
         "Nothing: Kubernetes ignores the image's HEALTHCHECK; its own liveness and readiness probes decide",
         "The kubelet reads the unhealthy status and restarts the pod"],
        answer=1,
        why="A HEALTHCHECK only *reports* (`docker ps`, `docker inspect`); Compose, Swarm or another platform may act "
            "on it. Kubernetes never runs it: declare `livenessProbe` and `readinessProbe` in the pod spec.",
        hints={
            "Docker restarts the container after three failed checks":
                "The unhealthy container above kept running: the engine reports health, it does not act on it.",
            "The kubelet reads the unhealthy status and restarts the pod":
                "The kubelet runs the probes of the pod spec, not the image's HEALTHCHECK.",
        },
    )


# --- lesson 7 -----------------------------------------------------------------------------------

@_self_check("missing-assert-h")
def _missing_assert_h() -> Quiz:
    return Quiz(
        "After adding `--no-install-recommends`, `pip install psycopg2` fails with `assert.h: No such file`. "
        "The fix?",
        ["Go back to installing recommends", "Install libc6-dev explicitly", "Use psycopg2-binary in production"],
        answer=1,
        why="`libc6-dev` holds the C library headers gcc needs; it was a recommendation of gcc. Name it.",
        hints={
            "Go back to installing recommends": "That works, but brings back everything else too.",
            "Use psycopg2-binary in production": "psycopg2's own docs advise against psycopg2-binary in production; "
                                                 "and the question is about the missing header.",
        },
    )


# --- lesson 8 -----------------------------------------------------------------------------------

@_self_check("no-shell-debug")
def _no_shell_debug() -> Quiz:
    return Quiz(
        "The bone image misbehaves in staging and you want to look at its files. "
        "`docker exec -it app sh` fails: no shell. What do you do?",
        ["Add busybox to the final stage for good, so the next time is easier",
         "Build the debug stage (`docker build --target rootfs`) or attach a toolbox (`docker debug`, `kubectl debug`)",
         "Switch the final stage back to the slim image"],
        answer=1,
        why="The debug stage holds the same files plus a shell, and an attached toolbox brings its own: "
            "the image you ship stays without one.",
        hints={
            "Add busybox to the final stage for good, so the next time is easier":
                "That ships a shell to production again, the very thing the final stage left out.",
            "Switch the final stage back to the slim image":
                "That changes the image you are trying to debug, and gives up what you measured.",
        },
    )


@_self_check("bone-security-fix")
def _bone_security_fix() -> Quiz:
    return Quiz(
        "A fix for OpenSSL is published. How does the bone image get it?",
        ["`apt-get upgrade` in the running container",
         "Rebuild the image: the builder installs the fixed package and the final stage copies it",
         "It cannot: an image without a package manager never gets fixes"],
        answer=1,
        why="With no package manager, an image is replaced, never patched: rebuild (with `--pull` and without "
            "the cache for that layer), then redeploy.",
        hints={
            "`apt-get upgrade` in the running container":
                "There is no apt (and no shell) in the image, and a container's changes die with it anyway.",
            "It cannot: an image without a package manager never gets fixes":
                "The fix reaches it the way everything else did: through the build stages.",
        },
    )
