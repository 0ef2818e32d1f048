"""Grade one Dockerfile (see :mod:`checker.grading.pipeline`)."""

from .pipeline import *  # noqa: F401,F403
from .pipeline import _score  # noqa: F401
