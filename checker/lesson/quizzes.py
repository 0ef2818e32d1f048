"""The lessons' self-checks, defined here so the learner's notebook shows only the question.

A lesson cell reads ``lesson.self_check("using-cache")`` (or, for a question whose answer is a
measurement, ``lesson.self_check("largest-own-layer", own)``) and displays the widget: the answer,
the explanation and the hints stay out of sight. Text may use Markdown's inline code and emphasis;
:class:`~checker.lesson.quiz.Quiz` renders it. The tests answer every self-check (see
``tests/notebooks/test_self_checks.py``); the lessons never do, so Run All leaves them unanswered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .quiz import Quiz

_SELF_CHECKS: dict[str, Callable[..., Quiz]] = {}


def _self_check(name: str) -> Callable[[Callable[..., Quiz]], Callable[..., Quiz]]:
    def register(build: Callable[..., Quiz]) -> Callable[..., Quiz]:
        if name in _SELF_CHECKS:
            raise ValueError(f"two self-checks are named {name!r}")
        _SELF_CHECKS[name] = build
        return build

    return register


def self_check_names() -> list[str]:
    """Every self-check's name, in the lessons' order."""
    return list(_SELF_CHECKS)


def self_check(name: str, *measured) -> Quiz:
    """The self-check ``name``, built from the ``measured`` facts it needs (none for most).

    Raises ``KeyError`` naming the known self-checks when ``name`` is not one of them, and
    ``TypeError`` when the measurements do not fit the question.
    """
    try:
        build = _SELF_CHECKS[name]
    except KeyError:
        raise KeyError(f"no self-check named {name!r}; there are {', '.join(_SELF_CHECKS)}") from None
    return build(*measured)


# --- lesson 7 -----------------------------------------------------------------------------------

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
